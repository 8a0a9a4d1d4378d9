// Upload sessions: blocks written straight into the commit's temp file, and every bad input they refuse.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { BLOCK_SIZE, blockHashesOf, type ErrorBody, type FileEntry, type OpenUploadResponse } from '@mydropbox/shared';
import { bytes, DataClient, Harness, SERVER_ID, sha256, startHarness } from './harness';

const octets = { 'content-type': 'application/octet-stream' };

describe('data server upload sessions', () => {
  let h: Harness;
  let alice: DataClient;
  let user: string;
  const tmpFiles = () => fs.readdirSync(path.join(h.root, String(SERVER_ID), '.tmp'));
  const staged = () => {
    const dir = path.join(h.root, String(SERVER_ID), '.staging', user);
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  };
  const open = (size: number, blocks: string[], as = alice) =>
    as.json<OpenUploadResponse & ErrorBody>('POST', '/v1/uploads', { size, blocks });
  const put = (id: string, index: number | string, data: Uint8Array, as = alice) =>
    as.request('PUT', `/v1/uploads/${id}/blocks/${index}`, { body: data, headers: octets });
  const block = (data: Buffer, i: number) => data.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);

  before(async () => {
    h = await startHarness({ quotaBytes: 40 * 1024 * 1024 });
  });
  beforeEach(() => {
    user = `ulla${Math.random().toString(36).slice(2, 8)}`;
    alice = h.as(user);
  });
  after(async () => h?.stop());

  it('builds a file from session blocks, a repeated block and a block of another file, staging nothing', async () => {
    const other = bytes(BLOCK_SIZE, 50);
    assert.equal((await alice.upload('other.bin', other)).status, 200);
    const a = bytes(BLOCK_SIZE, 51);
    const last = bytes(1000, 52);
    const data = Buffer.concat([a, other, a, last]); // block 2 repeats block 0; block 1 is held by other.bin
    const blocks = blockHashesOf(data);
    const opened = await open(data.length, blocks);
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    const id = opened.body.uploadId;
    // Out of order, and block 0 twice (the second is dropped).
    for (const i of [3, 0, 0]) assert.equal((await put(id, i, block(data, i))).status, 204);
    assert.deepEqual(staged(), [], 'session blocks are never staged');
    const commit = await alice.json<FileEntry>('POST', '/v1/commit', {
      path: 'big/s.bin',
      size: data.length,
      blocks,
      baseRev: null,
      uploadId: id,
    });
    assert.equal(commit.status, 200, JSON.stringify(commit.body));
    assert.equal(commit.body.rev, 1);
    assert.deepEqual((await alice.download('big/s.bin')).data, data);
    assert.deepEqual(tmpFiles(), []);
    // The session is spent: more blocks get 404, a second commit block_missing.
    assert.equal((await put(id, 1, block(data, 1))).status, 404);
    const again = await alice.json<ErrorBody>('POST', '/v1/commit', {
      path: 'big/t.bin',
      size: data.length,
      blocks,
      baseRev: null,
      uploadId: id,
    });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'block_missing');
  });

  it('reuses the blocks of a file it wrote, and notices that file edited on disk even with its mtime put back', async () => {
    const v1 = bytes(3 * BLOCK_SIZE, 80);
    assert.equal((await alice.upload('v.bin', v1)).status, 200);
    const v2 = Buffer.from(v1);
    v2[2 * BLOCK_SIZE + 5] ^= 0xff;
    const second = await alice.upload('v.bin', v2, 1);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.deepEqual((await alice.download('v.bin')).data, v2);
    // Someone edits the stored file behind the server's back and restores its times: block 0 is no longer what the row says.
    const abs = path.join(h.root, String(SERVER_ID), user, 'v.bin');
    const before = fs.statSync(abs, { bigint: true });
    const fd = fs.openSync(abs, 'r+');
    fs.writeSync(fd, Buffer.from('tampered'), 0, 8, 100);
    fs.closeSync(fd);
    const ns = before.mtimeNs;
    execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, abs]);
    assert.equal(fs.statSync(abs, { bigint: true }).mtimeNs, ns, 'the mtime is back to the nanosecond');
    const v3 = Buffer.from(v2);
    v3[2 * BLOCK_SIZE + 6] ^= 0xff;
    const blocks = blockHashesOf(v3);
    assert.equal((await alice.putBlock(blocks[2]!, block(v3, 2))).status, 204);
    const third = await alice.json<ErrorBody>('POST', '/v1/commit', { path: 'v.bin', size: v3.length, blocks, baseRev: 2 });
    assert.equal(third.status, 409, JSON.stringify(third.body));
    assert.equal(third.body.error.code, 'block_missing');
  });

  it('refuses a commit whose other blocks are nowhere, and drops the session with its temp file', async () => {
    const data = bytes(2 * BLOCK_SIZE + 10, 60);
    const blocks = blockHashesOf(data);
    const id = (await open(data.length, blocks)).body.uploadId;
    assert.equal((await put(id, 0, block(data, 0))).status, 204);
    const res = await alice.json<ErrorBody>('POST', '/v1/commit', {
      path: 'x.bin',
      size: data.length,
      blocks,
      baseRev: null,
      uploadId: id,
    });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'block_missing');
    assert.deepEqual(res.body.error.details?.missing, blocks.slice(1));
    assert.deepEqual(tmpFiles(), []);
    assert.equal((await alice.json('GET', '/v1/files/meta?path=x.bin')).status, 404);
  });

  it('checks a commit with an upload session as any other (base revision, quota) before it takes the session', async () => {
    const data = bytes(2 * BLOCK_SIZE + 10, 80);
    const blocks = blockHashesOf(data);
    const id = (await open(data.length, blocks)).body.uploadId;
    // 32 MiB of the 40 MiB quota committed: the session's 8 MiB do not fit.
    assert.equal((await alice.upload('f1.bin', bytes(4 * BLOCK_SIZE, 81))).status, 200);
    assert.equal((await alice.upload('f2.bin', bytes(4 * BLOCK_SIZE + 1, 82))).status, 200);
    const commit = (baseRev: number | null) =>
      alice.json<FileEntry & ErrorBody>('POST', '/v1/commit', { path: 's.bin', size: data.length, blocks, baseRev, uploadId: id });
    const stale = await commit(3);
    assert.equal(stale.status, 409);
    assert.equal(stale.body.error.code, 'conflict');
    assert.equal(stale.body.error.message, '"s.bin" was deleted on the server after revision 3.');
    const full = await commit(null);
    assert.equal(full.status, 507);
    assert.equal(full.body.error.code, 'quota_exceeded');
    assert.match(
      full.body.error.message,
      /^Quota exceeded: 33.6 MB used of 41.9 MB and this file needs 8.4 MB more; delete files to free space\.$/,
    );
    assert.equal(tmpFiles().length, 1, 'the session and its temp file are still there');
    for (const i of [0, 1, 2]) assert.equal((await put(id, i, block(data, i))).status, 204, 'the session still takes blocks');
    assert.equal((await alice.request('DELETE', '/v1/files?path=f1.bin')).status, 200);
    const ok = await commit(null);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual((await alice.download('s.bin')).data, data);
    assert.deepEqual(tmpFiles(), []);
  });

  it('refuses bad blocks: wrong hash, too long, too short, a bad index or id, another user', async () => {
    const data = bytes(BLOCK_SIZE + 100, 70);
    const blocks = blockHashesOf(data);
    const id = (await open(data.length, blocks)).body.uploadId;
    const cases: [string, Promise<Response>, number, string][] = [
      ['wrong hash', put(id, 1, bytes(100, 71)), 400, 'hash_mismatch'],
      ['too long', put(id, 1, bytes(101, 72)), 413, 'payload_too_large'],
      ['too short', put(id, 1, block(data, 1).subarray(0, 99)), 400, 'invalid_request'],
      ['index past the end', put(id, 2, block(data, 1)), 400, 'invalid_request'],
      ['index not a number', put(id, '-1', block(data, 1)), 400, 'invalid_request'],
      ['id not hex', put('../../etc/passwd'.replace(/\//g, '%2F'), 0, block(data, 0)), 400, 'invalid_request'],
      ['unknown id', put('0'.repeat(32), 0, block(data, 0)), 404, 'not_found'],
      ["another user's session", put(id, 1, block(data, 1), h.as(`${user}x`)), 404, 'not_found'],
    ];
    for (const [name, pending, status, code] of cases) {
      const res = await pending;
      assert.equal(res.status, status, name);
      assert.equal(((await res.json()) as ErrorBody).error.code, code, name);
    }
    assert.deepEqual(
      (await alice.json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes: blocks })).body.missing,
      blocks,
      'a refused block is stored nowhere',
    );
    // A commit naming other blocks or another size than its session is refused, and the session stays usable.
    const wrong = await alice.json<ErrorBody>('POST', '/v1/commit', {
      path: 'w.bin',
      size: data.length - 1,
      blocks,
      baseRev: null,
      uploadId: id,
    });
    assert.equal(wrong.status, 400);
    for (const i of [0, 1]) assert.equal((await put(id, i, block(data, i))).status, 204);
    const ok = await alice.json<FileEntry>('POST', '/v1/commit', { path: 'w.bin', size: data.length, blocks, baseRev: null, uploadId: id });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual((await alice.download('w.bin')).data, data);
  });

  it('refuses bad sessions: malformed JSON, blocks not matching the size, a bad upload id, over the quota, too many open', async () => {
    const notJson = await alice.request('POST', '/v1/uploads', { body: '{"size": 1,', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
    const h1 = sha256(Buffer.from('x'));
    for (const [body, code] of [
      [{ size: BLOCK_SIZE + 1, blocks: [h1] }, 'invalid_request'],
      [{ size: 0, blocks: [] }, 'invalid_request'],
      [{ size: 10, blocks: ['nothex'] }, 'invalid_request'],
      [{ size: -1, blocks: [h1] }, 'invalid_request'],
    ] as const) {
      const res = await alice.json<ErrorBody>('POST', '/v1/uploads', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, code);
    }
    const badId = await alice.json<ErrorBody>('POST', '/v1/commit', { path: 'a', size: 1, blocks: [h1], baseRev: null, uploadId: 'ZZ' });
    assert.equal(badId.status, 400);
    const big = Array.from({ length: 11 }, () => h1);
    const over = await open(11 * BLOCK_SIZE, big);
    assert.equal(over.status, 507);
    assert.equal(over.body.error.code, 'quota_exceeded');
    // 4 sessions of 8 MiB fit the 40 MiB quota; the open ones count, so a 5th is refused either way.
    const two = [h1, h1];
    for (let i = 0; i < 4; i++) assert.equal((await open(2 * BLOCK_SIZE, two)).status, 201);
    const fifth = await open(2 * BLOCK_SIZE, two);
    assert.equal(fifth.status, 429);
    assert.equal(fifth.body.error.code, 'rate_limited');
    assert.equal((await open(2 * BLOCK_SIZE, two, h.as(`${user}y`))).status, 201, 'the limit is per user');
  });
});
