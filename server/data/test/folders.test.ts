// Explicit folders and whole-folder delete, copy and move on a real data server (SQLite and MariaDB).
import assert from 'node:assert/strict';
import type { EntriesResponse, FolderChangeResponse, FolderEntry, ListResponse, UsageResponse } from '@mydropbox/shared';
import { DATABASE_KINDS } from '../../../test/support/databases';
import { bytes, startHarness, type DataClient, type Harness } from './harness';

for (const kind of DATABASE_KINDS) {
  describe(`data server folders (${kind})`, () => {
    let h: Harness;
    let alice: DataClient;
    let n = 0;

    before(async () => {
      h = await startHarness({ kind, quotaBytes: 40_000_000 });
    });
    beforeEach(() => {
      alice = h.as(`alice${++n}`);
    });
    after(async () => {
      await h?.stop();
    });

    const entries = (c: DataClient, path: string, depth = 1) =>
      c.json<EntriesResponse>('GET', `/v1/entries?path=${encodeURIComponent(path)}&depth=${depth}`);
    const names = (r: EntriesResponse) => r.children.map((c) => `${c.kind}:${c.path}`);
    const files = async (c: DataClient) => (await c.json<ListResponse>('GET', '/v1/files')).body.files.map((f) => f.path);

    it('makes an empty folder with its parents, lists it, and says 200 when it is already there', async () => {
      const made = await alice.json<FolderEntry>('POST', '/v1/folders', { path: 'a/b/c' });
      assert.equal(made.status, 201);
      assert.equal(made.body.path, 'a/b/c');
      assert.equal((await alice.json('POST', '/v1/folders', { path: 'a/b/c' })).status, 200);
      const listed = await alice.json<{ folders: FolderEntry[] }>('GET', '/v1/folders');
      assert.deepEqual(
        listed.body.folders.map((f) => f.path),
        ['a', 'a/b', 'a/b/c'],
      );
      const top = await entries(alice, '');
      assert.equal(top.body.entry.kind, 'folder');
      assert.deepEqual(names(top.body), ['folder:a']);
      assert.deepEqual(names((await entries(alice, 'a/b')).body), ['folder:a/b/c']);
      assert.deepEqual(await files(alice), [], 'folders are not files: the sync engine sees nothing new');
    });

    it('shows files and implied folders as children, and a file as itself', async () => {
      await alice.upload('docs/readme.txt', Buffer.from('hello'));
      await alice.upload('docs/deep/x.bin', bytes(10));
      await alice.json('POST', '/v1/folders', { path: 'docs/empty' });
      assert.deepEqual(names((await entries(alice, 'docs')).body), ['folder:docs/deep', 'folder:docs/empty', 'file:docs/readme.txt']);
      const file = await entries(alice, 'docs/readme.txt');
      assert.equal(file.body.entry.kind, 'file');
      assert.equal(file.body.entry.size, 5);
      assert.deepEqual(file.body.children, []);
      assert.equal((await entries(alice, 'docs', 0)).body.children.length, 0);
      assert.equal((await entries(alice, 'nope')).status, 404);
    });

    it('refuses a folder where a file is, or inside a file', async () => {
      await alice.upload('f.txt', Buffer.from('x'));
      assert.equal((await alice.json('POST', '/v1/folders', { path: 'f.txt' })).status, 409);
      assert.equal((await alice.json('POST', '/v1/folders', { path: 'f.txt/sub' })).status, 409);
      assert.deepEqual((await alice.json<{ folders: FolderEntry[] }>('GET', '/v1/folders')).body.folders, []);
    });

    it('refuses bad paths, bad depth and malformed bodies', async () => {
      for (const path of ['../x', 'a/../b', '/abs', 'a//b', '']) {
        const res = await alice.json<{ error: { code: string } }>('POST', '/v1/folders', { path });
        assert.equal(res.status, 400, path);
      }
      assert.equal((await alice.json('GET', '/v1/entries?path=..&depth=1')).status, 400);
      assert.equal((await alice.json('GET', '/v1/entries?path=&depth=infinity')).status, 400);
      assert.equal((await alice.json('DELETE', '/v1/folders?path=')).status, 400);
      const bad = await alice.request('POST', '/v1/folders', { body: '{"path":', headers: { 'content-type': 'application/json' } });
      assert.equal(bad.status, 400);
      const other = await fetch(`${h.url}/v1/folders`, { headers: { authorization: 'Bearer nope' } });
      assert.equal(other.status, 401);
    });

    it('deletes a folder with its files (tombstones in the feed) and its empty subfolders', async () => {
      await alice.upload('t/a.txt', Buffer.from('a'));
      await alice.upload('t/u/b.txt', Buffer.from('b'));
      await alice.upload('keep.txt', Buffer.from('k'));
      await alice.json('POST', '/v1/folders', { path: 't/empty' });
      const cursor = (await alice.json<ListResponse>('GET', '/v1/files')).body.cursor;
      const res = await alice.json<FolderChangeResponse>('DELETE', '/v1/folders?path=t');
      assert.equal(res.status, 200);
      assert.equal(res.body.files, 2);
      assert.deepEqual(await files(alice), ['keep.txt']);
      assert.equal((await entries(alice, 't')).status, 404);
      const changes = await alice.json<{ changes: { path: string; deleted: boolean; kind?: string }[] }>(
        'GET',
        `/v1/changes?cursor=${cursor}&timeout=0`,
      );
      assert.deepEqual(changes.body.changes.map((c) => [c.path, c.deleted, c.kind ?? 'file']).sort(), [
        ['t', true, 'folder'], // made explicit as the parent of t/empty
        ['t/a.txt', true, 'file'],
        ['t/empty', true, 'folder'],
        ['t/u/b.txt', true, 'file'],
      ]);
      assert.equal((await alice.json('DELETE', '/v1/folders?path=t')).status, 404);
      assert.equal((await alice.json('DELETE', '/v1/folders?path=keep.txt')).status, 409);
    });

    it('copies and moves a folder tree with empty subfolders, and refuses an existing target unless asked', async () => {
      await alice.upload('src/one.txt', Buffer.from('one'));
      await alice.upload('src/n/two.bin', bytes(5000, 3));
      await alice.json('POST', '/v1/folders', { path: 'src/hollow' });
      const copied = await alice.json<FolderChangeResponse>('POST', '/v1/folders/copy', { from: 'src', to: 'dup' });
      assert.equal(copied.status, 200);
      assert.equal(copied.body.files, 2);
      assert.deepEqual(names((await entries(alice, 'dup')).body), ['folder:dup/hollow', 'folder:dup/n', 'file:dup/one.txt']);
      assert.equal((await alice.download('dup/n/two.bin')).data.equals(bytes(5000, 3)), true);

      assert.equal((await alice.json('POST', '/v1/folders/copy', { from: 'src', to: 'dup' })).status, 409);
      assert.equal((await alice.json('POST', '/v1/folders/move', { from: 'src', to: 'src/inside' })).status, 400);

      await alice.upload('dup/extra.txt', Buffer.from('gone after overwrite'));
      const moved = await alice.json<FolderChangeResponse>('POST', '/v1/folders/move', { from: 'src', to: 'dup', overwrite: true });
      assert.equal(moved.status, 200);
      assert.deepEqual(await files(alice), ['dup/n/two.bin', 'dup/one.txt']);
      assert.equal((await entries(alice, 'src')).status, 404);
      assert.deepEqual(names((await entries(alice, 'dup')).body), ['folder:dup/hollow', 'folder:dup/n', 'file:dup/one.txt']);
    });

    it('refuses a folder copy past the quota before copying anything', async () => {
      await alice.upload('big/a.bin', bytes(15_000_000, 4));
      await alice.upload('big/b.bin', bytes(10_000_000, 5));
      const res = await alice.json<{ error: { code: string } }>('POST', '/v1/folders/copy', { from: 'big', to: 'big2' });
      assert.equal(res.status, 507);
      assert.equal(res.body.error.code, 'quota_exceeded');
      assert.deepEqual(await files(alice), ['big/a.bin', 'big/b.bin']);
      assert.equal((await alice.json<UsageResponse>('GET', '/v1/usage')).body.usedBytes, 25_000_000);
    });

    it("keeps one user's folders away from another's", async () => {
      await alice.json('POST', '/v1/folders', { path: 'private' });
      const bob = h.as(`bob${n}`);
      assert.deepEqual((await bob.json<{ folders: FolderEntry[] }>('GET', '/v1/folders')).body.folders, []);
      assert.equal((await entries(bob, 'private')).status, 404);
      assert.equal((await bob.json('DELETE', '/v1/folders?path=private')).status, 404);
    });
  });
}
