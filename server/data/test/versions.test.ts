// Version history on the data server, on MariaDB and SQLite: every overwrite, delete and move keeps the content it replaced; restores; the purge; account removal.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  BLOCK_SIZE,
  blockHashesOf,
  contentHashOfBlocks,
  type ChangesResponse,
  type DeletedResponse,
  type FileEntry,
  type RestoreFolderResponse,
  type RestoreResponse,
  type UsageResponse,
  type VersionsResponse,
} from '@mydropbox/shared';
import { DATABASE_KINDS } from '../../../test/support/databases';
import { bytes, DataClient, Harness, SERVER_ID, startHarness } from './harness';

const DAY = 24 * 60 * 60 * 1000;
const hashOf = (data: Buffer) => contentHashOfBlocks(blockHashesOf(data));
const text = (s: string) => Buffer.from(s);

for (const kind of DATABASE_KINDS) {
  describe(`data server version history (${kind})`, function () {
    this.timeout(60_000);
    let h: Harness;
    let clock = 0; // days the data server's clock is moved forward
    let user: string;
    let client: DataClient;
    const packsDir = () => path.join(h.root, String(SERVER_ID), '.versions', user);
    const packs = () => (fs.existsSync(packsDir()) ? fs.readdirSync(packsDir()) : []);

    const put = async (p: string, data: Buffer, baseRev: number | null, c = client): Promise<FileEntry> => {
      const res = await c.upload(p, data, baseRev);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    const versions = async (p: string, c = client) => {
      const res = await c.json<VersionsResponse>('GET', `/v1/versions?path=${encodeURIComponent(p)}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    const versionBytes = async (id: string, headers: Record<string, string> = {}) => {
      const res = await client.request('GET', `/v1/versions/content?id=${id}`, { headers });
      return { status: res.status, data: Buffer.from(await res.arrayBuffer()), res };
    };
    const restore = async (body: unknown, c = client) =>
      c.json<RestoreResponse & { error?: { code: string } }>('POST', '/v1/restore', body);
    const deleted = async (query = '') => {
      const res = await client.json<DeletedResponse>('GET', `/v1/deleted${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    const live = async (p: string) => client.download(p);

    before(async () => {
      h = await startHarness({ kind, now: () => Date.now() + clock * DAY });
    });
    beforeEach(() => {
      user = `ve${Math.random().toString(36).slice(2, 8)}`;
      client = new DataClient(h.url, h.token(user, { dn: 'Laptop' }));
      clock = 0;
    });
    after(async () => h?.stop());

    it('keeps what an overwrite replaced, with who wrote it and why, readable whole and by range', async () => {
      const v1 = bytes(BLOCK_SIZE + 5000, 1);
      await put('doc.bin', v1, null);
      const v2 = text('second');
      await put('doc.bin', v2, 1);
      const list = await versions('doc.bin');
      assert.equal(list.current?.contentHash, hashOf(v2));
      assert.equal(list.versions.length, 1);
      const [old] = list.versions;
      assert.equal(old!.rev, 1);
      assert.equal(old!.size, v1.length);
      assert.equal(old!.contentHash, hashOf(v1));
      assert.equal(old!.reason, 'edit');
      assert.equal(old!.device, 'Laptop', 'the device that wrote the replaced content');
      const whole = await versionBytes(old!.id);
      assert.equal(whole.status, 200);
      assert.deepEqual(whole.data, v1);
      const part = await versionBytes(old!.id, { range: `bytes=${BLOCK_SIZE - 10}-${BLOCK_SIZE + 9}` });
      assert.equal(part.status, 206);
      assert.equal(part.res.headers.get('content-range'), `bytes ${BLOCK_SIZE - 10}-${BLOCK_SIZE + 9}/${v1.length}`);
      assert.deepEqual(part.data, v1.subarray(BLOCK_SIZE - 10, BLOCK_SIZE + 10));
      const usage = await client.json<UsageResponse>('GET', '/v1/usage');
      assert.equal(usage.body.usedBytes, v2.length, 'kept versions do not count against the quota');
    });

    it('records the door of a router call (Website, WebDAV) as the device', async () => {
      await put('w.txt', text('one'), null);
      const dav = new DataClient(h.url, h.token(user, { scope: 'router' }));
      const del = await dav.request('DELETE', '/v1/files?path=w.txt', { headers: { 'x-mydropbox-device': 'WebDAV' } });
      assert.equal(del.status, 200);
      const page = await deleted();
      assert.equal(page.deleted.length, 1);
      assert.equal(page.deleted[0]!.device, 'WebDAV', 'who deleted it');
      // A device's own header is not believed: its token names it.
      const sneaky = await client.request('DELETE', '/v1/files?path=x.txt', { headers: { 'x-mydropbox-device': 'Website' } });
      assert.equal(sneaky.status, 404);
      await sneaky.arrayBuffer();
    });

    it('lists deleted files newest first, a page at a time, and restores one byte-identical; the change feed carries it', async () => {
      await put('a/one.txt', text('one'), null);
      await put('a/two.txt', text('two'), null);
      await put('b/three.txt', text('three'), null);
      for (const p of ['a/one.txt', 'b/three.txt', 'a/two.txt']) {
        const res = await client.request('DELETE', `/v1/files?path=${encodeURIComponent(p)}`);
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      const all = await deleted();
      assert.deepEqual(
        all.deleted.map((d) => d.path),
        ['a/two.txt', 'b/three.txt', 'a/one.txt'],
      );
      assert.equal(all.deleted[0]!.device, 'Laptop');
      const first = await deleted('?limit=2');
      assert.equal(first.deleted.length, 2);
      assert.ok(first.next);
      const second = await deleted(`?limit=2&before=${first.next}`);
      assert.deepEqual(
        second.deleted.map((d) => d.path),
        ['a/one.txt'],
      );
      assert.deepEqual(
        (await deleted('?under=a')).deleted.map((d) => d.path),
        ['a/two.txt', 'a/one.txt'],
      );
      const cursor = (await client.json<ChangesResponse>('GET', '/v1/changes?cursor=0&timeout=0')).body.cursor;
      const r = await restore({ path: 'a/one.txt' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.restoredTo, 'a/one.txt');
      assert.deepEqual((await live('a/one.txt')).data, text('one'));
      const feed = await client.json<ChangesResponse>('GET', `/v1/changes?cursor=${cursor}&timeout=0`);
      assert.deepEqual(
        feed.body.changes.map((c) => [c.path, c.deleted, c.contentHash]),
        [['a/one.txt', false, hashOf(text('one'))]],
      );
      assert.deepEqual(
        (await deleted()).deleted.map((d) => d.path),
        ['a/two.txt', 'b/three.txt'],
        'a restored file is no longer deleted',
      );
      const all2 = await client.json<RestoreFolderResponse>('POST', '/v1/restore/folder', { path: '' });
      assert.equal(all2.status, 200, JSON.stringify(all2.body));
      assert.deepEqual(all2.body.files.map((f) => f.restoredTo).sort(), ['a/two.txt', 'b/three.txt'], "'' restores everything deleted");
      assert.deepEqual((await deleted()).deleted, []);
    });

    it('restores beside a path taken meanwhile: "name (restored).ext", then "name (restored 2).ext"', async () => {
      await put('notes.txt', text('old'), null);
      await client.request('DELETE', '/v1/files?path=notes.txt').then((r) => r.arrayBuffer());
      await put('notes.txt', text('new'), null);
      const r1 = await restore({ path: 'notes.txt' });
      assert.equal(r1.status, 200, JSON.stringify(r1.body));
      assert.equal(r1.body.restoredTo, 'notes (restored).txt');
      const r2 = await restore({ path: 'notes.txt' });
      assert.equal(r2.body.restoredTo, 'notes (restored 2).txt');
      assert.deepEqual((await live('notes.txt')).data, text('new'), 'the file at the path is left alone');
      assert.deepEqual((await live('notes (restored).txt')).data, text('old'));
      assert.deepEqual((await live('notes (restored 2).txt')).data, text('old'));
    });

    it('restores an older version over the live file, keeping the replaced one as a version', async () => {
      await put('r.txt', text('v1'), null);
      await put('r.txt', text('v2'), 1);
      const [v1] = (await versions('r.txt')).versions;
      const r = await restore({ path: 'r.txt', versionId: v1!.id });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.restoredTo, 'r.txt');
      assert.equal(r.body.file.rev, 3);
      assert.deepEqual((await live('r.txt')).data, text('v1'));
      const after = await versions('r.txt');
      assert.deepEqual(
        after.versions.map((v) => [v.contentHash, v.reason]),
        [
          [hashOf(text('v2')), 'restore'],
          [hashOf(text('v1')), 'edit'],
        ],
      );
    });

    it('keeps versions through moves (away and over), copies over, folder deletes and batch commits; restores a folder', async () => {
      await put('m/a.txt', text('a'), null);
      await put('m/b.txt', text('b'), null);
      await put('m/sub/c.txt', text('c'), null);
      // Move-over: b.txt's content is replaced by a.txt's; a.txt is moved away.
      const moved = await client.json('POST', '/v1/files/move', { from: 'm/a.txt', to: 'm/b.txt', overwrite: true });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.deepEqual(
        (await versions('m/b.txt')).versions.map((v) => [v.contentHash, v.reason]),
        [[hashOf(text('b')), 'edit']],
      );
      assert.deepEqual(
        (await versions('m/a.txt')).versions.map((v) => [v.contentHash, v.reason]),
        [[hashOf(text('a')), 'move']],
      );
      // A batch commit over a live file.
      const d = text('d');
      await client.upload('m/sub/c.txt', text('c'), null).catch(() => undefined);
      const miss = await client.json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes: blockHashesOf(d) });
      for (const hsh of miss.body.missing) await client.putBlock(hsh, d).then((r) => r.arrayBuffer());
      const batch = await client.json<{ results: { file?: FileEntry }[] }>('POST', '/v1/commit/batch', {
        commits: [{ path: 'm/sub/c.txt', size: d.length, blocks: blockHashesOf(d), baseRev: 1 }],
      });
      assert.ok(batch.body.results[0]!.file, JSON.stringify(batch.body));
      assert.deepEqual(
        (await versions('m/sub/c.txt')).versions.map((v) => v.contentHash),
        [hashOf(text('c'))],
      );
      // The folder delete keeps every file in it.
      const gone = await client.json<{ files: number }>('DELETE', '/v1/folders?path=m');
      assert.equal(gone.body.files, 2);
      assert.deepEqual(
        (await deleted('?under=m')).deleted.map((x) => x.path).sort(),
        ['m/b.txt', 'm/sub/c.txt'],
        'a.txt was moved away, not deleted',
      );
      const back = await client.json<RestoreFolderResponse>('POST', '/v1/restore/folder', { path: 'm' });
      assert.equal(back.status, 200, JSON.stringify(back.body));
      assert.equal(back.body.restored, 2);
      assert.deepEqual((await live('m/b.txt')).data, text('a'));
      assert.deepEqual((await live('m/sub/c.txt')).data, d);
      assert.equal((await live('m/a.txt')).status, 404, 'a moved-away path is not brought back as a duplicate');
      assert.deepEqual((await deleted()).deleted, []);
    });

    it('purges versions past the retention period and the bytes no version needs, keeping blocks another version or a live file shares', async () => {
      // Four blocks: old (A B C D); the live file shares A; a later version shares B.
      const big = bytes(4 * BLOCK_SIZE, 11);
      const block = (i: number) => big.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
      const mix = (...parts: Buffer[]) => Buffer.concat(parts);
      const other = bytes(BLOCK_SIZE, 12);
      await put('p.bin', big, null);
      await put('p.bin', mix(block(0), other), 1); // v1 (A B C D) kept
      clock = 20;
      await put('p.bin', mix(block(0), block(1)), 2); // v2 (A other) kept
      clock = 25;
      await put('p.bin', mix(block(0), block(1), other), 3); // v3 (A B) kept; live A B other
      const before = await versions('p.bin');
      assert.equal(before.versions.length, 3);
      clock = 31; // v1 is past 30 days
      const purged = await h.server.purge();
      assert.ok(purged.versions >= 1);
      const kept = await versions('p.bin');
      assert.deepEqual(
        kept.versions.map((v) => v.rev),
        [3, 2],
      );
      assert.deepEqual((await versionBytes(kept.versions[0]!.id)).data, mix(block(0), block(1)), 'B, shared with the purged v1, stays');
      assert.deepEqual((await versionBytes(kept.versions[1]!.id)).data, mix(block(0), other));
      assert.deepEqual((await live('p.bin')).data, mix(block(0), block(1), other));
      const old = await versionBytes(before.versions[2]!.id);
      assert.equal(old.status, 404);
      clock = 60;
      await h.server.purge();
      assert.deepEqual((await versions('p.bin')).versions, []);
      assert.deepEqual(packs(), [], 'no pack is left once no version needs it');
      assert.deepEqual((await live('p.bin')).data, mix(block(0), block(1), other), 'the live file never depended on a pack');
    });

    it('shares unchanged blocks between versions: a big file edited in one block keeps one block per edit', async () => {
      const size = 8 * BLOCK_SIZE;
      let data = bytes(size, 21);
      await put('big.bin', data, null);
      const packBytes = () => packs().reduce((sum, p) => sum + fs.statSync(path.join(packsDir(), p)).size, 0);
      for (let k = 1; k <= 4; k++) {
        data = Buffer.from(data);
        data[3 * BLOCK_SIZE + k] ^= 0xff;
        await put('big.bin', data, k);
      }
      // Each edit keeps the one block it overwrote; the seven others stay shared with the live file.
      assert.equal(packBytes(), 4 * BLOCK_SIZE);
      for (const v of (await versions('big.bin')).versions) assert.equal(hashOf((await versionBytes(v.id)).data), v.contentHash);
    });

    it('keeps the executable bit with a version and brings it back with a restore', async () => {
      const data = text('#!/bin/sh\necho hi\n');
      await client.putBlock(blockHashesOf(data)[0]!, data).then((r) => r.arrayBuffer());
      const made = await client.json<FileEntry>('POST', '/v1/commit', {
        path: 'run.sh',
        size: data.length,
        blocks: blockHashesOf(data),
        baseRev: null,
        executable: true,
      });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      await client.request('DELETE', '/v1/files?path=run.sh').then((r) => r.arrayBuffer());
      const [kept] = (await versions('run.sh')).versions;
      assert.equal(kept!.executable, true);
      const r = await restore({ path: 'run.sh' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.file.executable, true);
      const meta = await client.json<FileEntry>('GET', '/v1/files/meta?path=run.sh');
      assert.equal(meta.body.executable, true);
    });

    it('counts kept blocks as held: a deleted file sent again needs no upload', async () => {
      const data = bytes(BLOCK_SIZE + 10, 31);
      await put('again.bin', data, null);
      await client.request('DELETE', '/v1/files?path=again.bin').then((r) => r.arrayBuffer());
      const miss = await client.json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes: blockHashesOf(data) });
      assert.deepEqual(miss.body.missing, []);
      const res = await client.json<FileEntry>('POST', '/v1/commit', {
        path: 'again.bin',
        size: data.length,
        blocks: blockHashesOf(data),
        baseRev: null,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual((await live('again.bin')).data, data);
    });

    it('a restore and an edit racing: both contents survive, as the file and as a version', async () => {
      await put('race.txt', text('one'), null);
      await put('race.txt', text('two'), 1);
      const [v1] = (await versions('race.txt')).versions;
      const edit = text('three');
      const miss = await client.json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes: blockHashesOf(edit) });
      for (const hsh of miss.body.missing) await client.putBlock(hsh, edit).then((r) => r.arrayBuffer());
      const [restored, edited] = await Promise.all([
        restore({ path: 'race.txt', versionId: v1!.id }),
        client.json<FileEntry & { error?: { code: string } }>('POST', '/v1/commit', {
          path: 'race.txt',
          size: edit.length,
          blocks: blockHashesOf(edit),
          baseRev: 2,
        }),
      ]);
      assert.equal(restored.status, 200, JSON.stringify(restored.body));
      assert.ok(edited.status === 200 || (edited.status === 409 && edited.body.error?.code === 'conflict'), JSON.stringify(edited.body));
      const list = await versions('race.txt');
      const everything = [list.current!.contentHash, ...list.versions.map((v) => v.contentHash)];
      for (const t of ['one', 'two', ...(edited.status === 200 ? ['three'] : [])]) {
        assert.ok(everything.includes(hashOf(text(t))), `"${t}" is the file or a version`);
      }
    });

    it('refuses bad input: unknown, malformed and other users’ version ids, paths leaving the folder, malformed JSON', async () => {
      await put('mine.txt', text('mine'), null);
      await put('mine.txt', text('mine 2'), 1);
      const [mine] = (await versions('mine.txt')).versions;
      const other = new DataClient(h.url, h.token(`${user}x`));
      assert.equal((await other.json('GET', `/v1/versions/content?id=${mine!.id}`)).status, 404);
      assert.equal((await other.json('POST', '/v1/restore', { path: 'mine.txt', versionId: mine!.id })).status, 404);
      assert.equal((await other.json('GET', '/v1/versions?path=mine.txt')).status, 404);
      assert.equal((await versionBytes('0'.repeat(32))).status, 404);
      assert.equal((await versionBytes('../../etc/passwd')).status, 404);
      assert.equal((await restore({ path: 'mine.txt', versionId: '0'.repeat(32) })).status, 404);
      const wrongPath = await restore({ path: 'other.txt', versionId: mine!.id });
      assert.equal(wrongPath.status, 404);
      assert.equal((await restore({ path: 'never.txt' })).status, 404);
      const dots = await restore({ path: '../mine.txt' });
      assert.equal(dots.status, 400);
      assert.equal(dots.body.error?.code, 'invalid_path');
      assert.equal((await client.json('GET', '/v1/versions?path=..%2Fx')).status, 400);
      assert.equal((await client.json('GET', '/v1/deleted?under=..%2Fx')).status, 400);
      assert.equal((await client.json('GET', '/v1/deleted?before=abc')).status, 400);
      assert.equal((await client.json('GET', '/v1/deleted?limit=0')).status, 400);
      assert.equal((await client.json('POST', '/v1/restore/folder', { path: '/..' })).status, 400);
      assert.equal((await client.json('POST', '/v1/restore', { path: 'mine.txt', versionId: 5 })).status, 400);
      const bad = await client.request('POST', '/v1/restore', { body: '{"path": ', headers: { 'content-type': 'application/json' } });
      assert.equal(bad.status, 400);
      await bad.arrayBuffer();
      const account = await client.request('DELETE', '/v1/account');
      assert.equal(account.status, 403, 'a device token cannot remove the account');
      await account.arrayBuffer();
      assert.deepEqual((await live('mine.txt')).data, text('mine 2'));
    });

    it('DELETE /v1/account removes the files, versions, rows and folders of that user only, and again is fine', async () => {
      await put('x/1.txt', text('1'), null);
      await put('x/1.txt', text('2'), 1);
      await client.request('DELETE', '/v1/files?path=x/1.txt').then((r) => r.arrayBuffer());
      await put('keep.txt', text('k'), null);
      const neighbour = new DataClient(h.url, h.token(`${user}n`));
      await put('n.txt', text('n'), null, neighbour);
      assert.ok(packs().length > 0);
      const router = new DataClient(h.url, h.token(user, { scope: 'router' }));
      for (let i = 0; i < 2; i++) {
        const res = await router.request('DELETE', '/v1/account');
        assert.equal(res.status, 204);
        await res.arrayBuffer();
      }
      assert.equal(fs.existsSync(path.join(h.root, String(SERVER_ID), user)), false);
      assert.equal(fs.existsSync(packsDir()), false);
      assert.deepEqual((await client.json<{ files: FileEntry[] }>('GET', '/v1/files')).body.files, []);
      assert.deepEqual((await deleted()).deleted, []);
      assert.equal((await client.json('GET', '/v1/versions?path=x/1.txt')).status, 404);
      assert.deepEqual((await neighbour.download('n.txt')).data, text('n'), 'another user is untouched');
    });
  });
}

describe('data server with version history turned off (VERSION_RETENTION_DAYS=0)', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ versionRetentionDays: 0 });
  });
  after(async () => h?.stop());

  it('keeps no version of an overwrite or a delete', async () => {
    const client = h.as('off');
    assert.equal((await client.upload('f.txt', text('1'))).status, 200);
    assert.equal((await client.upload('f.txt', text('2'), 1)).status, 200);
    await client.request('DELETE', '/v1/files?path=f.txt').then((r) => r.arrayBuffer());
    const list = await client.json<VersionsResponse>('GET', '/v1/versions?path=f.txt');
    assert.deepEqual(list.body.versions, []);
    assert.deepEqual((await client.json<DeletedResponse>('GET', '/v1/deleted')).body.deleted, []);
    assert.equal(fs.existsSync(path.join(h.root, String(SERVER_ID), '.versions', 'off')), false);
  });
});
