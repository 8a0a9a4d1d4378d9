// Upload, list and download round trips over real HTTP, checked by hash, on both databases.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  BLOCK_SIZE,
  blockHashesOf,
  contentHashOfBlocks,
  DataHealth,
  FileEntryWithBlocks,
  ListResponse,
  UsageResponse,
} from '@mydropbox/shared';
import { DATABASE_KINDS } from '../../../test/support/databases';
import { bytes, DataClient, Harness, SERVER_ID, sha256, startHarness } from './harness';

for (const kind of DATABASE_KINDS) {
  describe(`data server transfers (${kind})`, function () {
    this.timeout(60_000);
    let h: Harness;
    let alice: DataClient;

    before(async () => {
      h = await startHarness({ kind });
      alice = h.as('alice');
    });
    after(async () => h?.stop());

    it('answers /healthz without a token', async () => {
      const res = await fetch(`${h.url}/healthz`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as DataHealth;
      assert.deepEqual(
        { ...body, freeBytes: undefined },
        { status: 'ok', serverId: SERVER_ID, diskNearlyFull: false, freeBytes: undefined },
      );
      assert.ok(body.freeBytes! > 0, JSON.stringify(body));
    });

    it('round-trips an empty file', async () => {
      const put = await alice.upload('empty.txt', Buffer.alloc(0));
      assert.equal(put.status, 200);
      assert.deepEqual(put.body, {
        path: 'empty.txt',
        size: 0,
        contentHash: contentHashOfBlocks([]),
        rev: 1,
        modifiedAt: 1_700_000_000_000,
      });
      const got = await alice.download('empty.txt');
      assert.equal(got.status, 200);
      assert.equal(got.data.length, 0);
      assert.equal(got.res.headers.get('content-length'), '0');
      assert.equal(fs.statSync(path.join(h.root, String(SERVER_ID), 'alice', 'empty.txt')).size, 0);
    });

    it('round-trips a multi-block file in nested folders, byte for byte, with its headers', async () => {
      const data = bytes(2 * BLOCK_SIZE + 12345, 11);
      const put = await alice.upload('deep/er/est/multi.bin', data);
      assert.equal(put.status, 200);
      assert.equal(put.body.contentHash, contentHashOfBlocks(blockHashesOf(data)));
      const got = await alice.download('deep/er/est/multi.bin');
      assert.equal(got.status, 200);
      assert.equal(sha256(got.data), sha256(data));
      assert.equal(got.res.headers.get('content-length'), String(data.length));
      assert.equal(got.res.headers.get('etag'), `"${put.body.contentHash}"`);
      assert.equal(got.res.headers.get('accept-ranges'), 'bytes');
      assert.equal(got.res.headers.get('last-modified'), new Date(1_700_000_000_000).toUTCString());
      // The user's real file is on disk where an admin expects it.
      assert.equal(sha256(fs.readFileSync(path.join(h.root, String(SERVER_ID), 'alice', 'deep/er/est/multi.bin'))), sha256(data));
      const meta = await alice.json<FileEntryWithBlocks>('GET', `/v1/files/meta?path=${encodeURIComponent('deep/er/est/multi.bin')}`);
      assert.deepEqual(meta.body.blocks, blockHashesOf(data));
      const notModified = await alice.download('deep/er/est/multi.bin', { 'if-none-match': `"${put.body.contentHash}"` });
      assert.equal(notModified.status, 304);
    });

    it('normalises an NFD name to NFC and serves it under either spelling', async () => {
      const nfd = 'Cafe\u0301/nai\u0308ve – 日本語.txt';
      const nfc = nfd.normalize('NFC');
      const data = Buffer.from('unicode!');
      const put = await alice.upload(nfd, data);
      assert.equal(put.status, 200);
      assert.equal(put.body.path, nfc);
      assert.equal((await alice.download(nfd)).data.toString(), 'unicode!');
      assert.equal((await alice.download(nfc)).data.toString(), 'unicode!');
      assert.ok(fs.existsSync(path.join(h.root, String(SERVER_ID), 'alice', nfc)));
      const list = await alice.json<ListResponse>('GET', '/v1/files');
      assert.ok(list.body.files.some((f) => f.path === nfc));
    });

    it('round-trips a 100 MB file', async () => {
      const data = bytes(100 * 1000 * 1000, 42);
      const put = await alice.upload('big/100MB.bin', data);
      assert.equal(put.status, 200);
      assert.equal(put.body.size, data.length);
      const got = await alice.download('big/100MB.bin');
      assert.equal(got.data.length, data.length);
      assert.equal(sha256(got.data), sha256(data));
    });

    it('needs no upload for a second file made of blocks it already holds', async () => {
      const data = bytes(BLOCK_SIZE + 99, 5);
      assert.equal((await alice.upload('dedup/one.bin', data)).status, 200);
      const missing = await alice.json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes: blockHashesOf(data) });
      assert.deepEqual(missing.body.missing, []);
      const blocks = blockHashesOf(data);
      const put = await alice.json<{ rev: number }>('POST', '/v1/commit', {
        path: 'dedup/two.bin',
        size: data.length,
        blocks,
        baseRev: null,
      });
      assert.equal(put.status, 200);
      assert.equal(sha256((await alice.download('dedup/two.bin')).data), sha256(data));
      // Another user holds none of alice's blocks.
      const bob = h.as('bob');
      assert.deepEqual((await bob.json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes: blocks })).body.missing, blocks);
      assert.equal((await bob.download('dedup/one.bin')).status, 404);
    });

    it('replaces a file from its revision, reusing the unchanged blocks, and leaves no staged blocks behind', async () => {
      const v1 = bytes(3 * BLOCK_SIZE, 8);
      const first = await alice.upload('edit.bin', v1);
      const v2 = Buffer.from(v1);
      v2.fill(7, BLOCK_SIZE, BLOCK_SIZE + 10); // change only the second block
      const missing = await alice.json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes: blockHashesOf(v2) });
      assert.deepEqual(missing.body.missing, [blockHashesOf(v2)[1]]);
      const second = await alice.upload('edit.bin', v2, first.body.rev);
      assert.equal(second.status, 200);
      assert.equal(second.body.rev, 2);
      assert.equal(sha256((await alice.download('edit.bin')).data), sha256(v2));
      assert.deepEqual(fs.readdirSync(path.join(h.root, String(SERVER_ID), '.staging', 'alice')), []);
      assert.deepEqual(fs.readdirSync(path.join(h.root, String(SERVER_ID), '.tmp')), []);
    });

    it('lists live files with a cursor and reports usage', async () => {
      const bob = h.as('bob');
      await bob.upload('one.txt', Buffer.from('1'));
      await bob.upload('two/three.txt', Buffer.from('333'));
      const list = await bob.json<ListResponse>('GET', '/v1/files');
      assert.deepEqual(
        list.body.files.map((f) => [f.path, f.size, f.rev]),
        [
          ['one.txt', 1, 1],
          ['two/three.txt', 3, 1],
        ],
      );
      assert.equal(list.body.cursor, '2');
      const usage = await bob.json<UsageResponse>('GET', '/v1/usage');
      assert.deepEqual(usage.body, { usedBytes: 4, quotaBytes: 5_000_000_000, fileCount: 2 });
    });

    it('answers HEAD with the length and no body', async () => {
      await alice.upload('head.txt', Buffer.from('hello head'));
      const res = await alice.request('HEAD', `/v1/files/content?path=head.txt`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-length'), '10');
      assert.equal((await res.arrayBuffer()).byteLength, 0);
    });

    it('serves many small files over one kept-alive connection', async () => {
      const started = Date.now();
      for (let i = 0; i < 50; i++) assert.equal((await alice.upload(`small/${i}.txt`, Buffer.from(`file ${i}`))).status, 200);
      const list = await alice.json<ListResponse>('GET', '/v1/files');
      assert.equal(list.body.files.filter((f) => f.path.startsWith('small/')).length, 50);
      assert.ok(Date.now() - started < 20_000);
    });
  });
}
