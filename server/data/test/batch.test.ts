// Batched uploads and commits, and changed blocks sent as parts: what they store, and every bad input they refuse.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  BLOCK_BATCH_MAX_BYTES,
  BLOCK_SIZE,
  PART_SIZE,
  blockHashesOf,
  partHashesOf,
  type CommitBatchResponse,
  type ErrorBody,
} from '@mydropbox/shared';
import { batchBody, bytes, DataClient, Harness, SERVER_ID, sha256, startHarness } from './harness';

/** The PUT /v1/blocks/:hash/delta body: [u32 part index][u32 length][bytes] per part. */
function deltaBody(parts: [number, Buffer][]): Buffer {
  return Buffer.concat(
    parts.flatMap(([index, data]) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(index, 0);
      head.writeUInt32BE(data.length, 4);
      return [head, data];
    }),
  );
}

const octets = { 'content-type': 'application/octet-stream' };

describe('data server batches and block deltas', () => {
  let h: Harness;
  let alice: DataClient;
  let user: string;
  const staged = (user: string) => {
    const dir = path.join(h.root, String(SERVER_ID), '.staging', user);
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  };

  before(async () => {
    h = await startHarness({ quotaBytes: 12 * 1024 * 1024 });
  });
  beforeEach(() => {
    user = `alice${Math.random().toString(36).slice(2, 8)}`;
    alice = h.as(user);
  });
  after(async () => h?.stop());

  it('stores 300 small files from one block batch and one commit batch, each readable and listed', async () => {
    const files = Array.from({ length: 300 }, (_, i) => ({ path: `f${i % 7}/file ${i}.txt`, data: bytes(100 + i, i + 1) }));
    const res = await alice.request('POST', '/v1/blocks/batch', { body: batchBody(files.map((f) => f.data)), headers: octets });
    assert.equal(res.status, 204, await res.text());
    assert.deepEqual(staged(user), [], 'small batched blocks wait in memory, not in staging files');
    const asked = await alice.json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes: files.map((f) => sha256(f.data)) });
    assert.deepEqual(asked.body.missing, [], 'blocks held in memory count as present');
    const commits = files.map((f) => ({ path: f.path, size: f.data.length, blocks: blockHashesOf(f.data), baseRev: null, modifiedAt: 1 }));
    const out = await alice.json<CommitBatchResponse>('POST', '/v1/commit/batch', { commits });
    assert.equal(out.status, 200);
    assert.equal(out.body.results.length, 300);
    for (const [i, r] of out.body.results.entries())
      assert.ok('file' in r && r.file.path === files[i]!.path && r.file.rev === 1, JSON.stringify(r));
    for (const f of files.slice(0, 20)) assert.deepEqual((await alice.download(f.path)).data, f.data);
    const list = await alice.json<{ files: unknown[] }>('GET', '/v1/files');
    assert.equal(list.body.files.length, 300);
    assert.deepEqual(staged(user), [], 'committed blocks leave staging');
  });

  it('gives each refused commit of a batch its own error and commits the rest', async () => {
    const a = bytes(50, 1);
    assert.equal((await alice.upload('exists.txt', a)).status, 200);
    assert.equal((await alice.upload('afile', a)).status, 200);
    const b = bytes(60, 2);
    await alice.request('POST', '/v1/blocks/batch', { body: batchBody([b]), headers: octets });
    const ok = { path: 'new.txt', size: b.length, blocks: blockHashesOf(b), baseRev: null };
    const out = await alice.json<CommitBatchResponse>('POST', '/v1/commit/batch', {
      commits: [
        ok,
        { ...ok, path: 'exists.txt' }, // stale base: it exists
        { ...ok, path: 'afile/inside.txt' }, // inside a file
        { ...ok, path: 'gone.txt', blocks: [sha256(Buffer.from('never sent'))], size: 10 }, // block missing
        { ...ok }, // the same path twice
        { ...ok, path: 'dir/a' },
        { ...ok, path: 'dir' }, // a folder of another file in the batch
      ],
    });
    assert.equal(out.status, 200, JSON.stringify(out.body));
    const codes = out.body.results.map((r) => ('error' in r ? r.error.code : 'ok'));
    assert.deepEqual(codes, ['ok', 'conflict', 'conflict', 'block_missing', 'invalid_request', 'ok', 'conflict']);
    const missing = out.body.results[3]!;
    assert.ok('error' in missing && Array.isArray(missing.error.details?.missing));
    assert.deepEqual((await alice.download('new.txt')).data, b);
    assert.equal((await alice.download('exists.txt')).data.length, 50);
  });

  it('refuses a batch whose block does not match its hash, and stages none of it', async () => {
    const good = bytes(100, 3);
    const bad = bytes(100, 4);
    const res = await alice.request('POST', '/v1/blocks/batch', {
      body: batchBody([good, bad], [sha256(good), sha256(good)]),
      headers: octets,
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.error.code, 'hash_mismatch');
    assert.equal(body.error.details?.index, 1);
    const missing = await alice.json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes: [sha256(good)] });
    assert.deepEqual(missing.body.missing, [sha256(good)], 'the good block of a refused batch is not kept');
  });

  it('refuses malformed batches: a cut-short header, a cut-short block, a block over 4 MiB', async () => {
    const data = bytes(100, 5);
    const whole = batchBody([data]);
    const over = Buffer.alloc(36);
    over.writeUInt32BE(BLOCK_SIZE + 1, 32);
    for (const [name, body, status, code] of [
      ['header', whole.subarray(0, 20), 400, 'invalid_request'],
      ['block', whole.subarray(0, whole.length - 1), 400, 'invalid_request'],
      ['over 4 MiB', over, 413, 'payload_too_large'],
    ] as const) {
      const res = await alice.request('POST', '/v1/blocks/batch', { body, headers: octets });
      assert.equal(res.status, status, name);
      assert.equal(((await res.json()) as ErrorBody).error.code, code, name);
    }
  });

  it('refuses a batch body over the limit before reading it, and a batch past the quota', async () => {
    const res = await alice.request('POST', '/v1/blocks/batch', { body: Buffer.alloc(BLOCK_BATCH_MAX_BYTES + 36), headers: octets });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as ErrorBody).error.code, 'payload_too_large');
    // 12 MiB quota: three 4 MiB blocks and one more byte do not fit.
    const blocks = [...[1, 2, 3].map((s) => bytes(BLOCK_SIZE, 100 + s)), bytes(1, 7)];
    const q = await alice.request('POST', '/v1/blocks/batch', { body: batchBody(blocks), headers: octets });
    assert.equal(q.status, 507);
    assert.equal(((await q.json()) as ErrorBody).error.code, 'quota_exceeded');
  });

  it('counts small blocks held in memory against the uncommitted-upload quota', async () => {
    // 12 MiB quota: 12 MiB less 1 KiB of small blocks wait for a commit, so 1 KiB and a byte more are refused.
    const blocks = Array.from({ length: 12 }, (_, i) => bytes(1024 * 1024 - (i === 11 ? 1024 : 0), 300 + i));
    const first = await alice.request('POST', '/v1/blocks/batch', { body: batchBody(blocks), headers: octets });
    assert.equal(first.status, 204);
    const more = await alice.request('POST', '/v1/blocks/batch', { body: batchBody([bytes(1025, 8)]), headers: octets });
    assert.equal(more.status, 507);
    assert.equal(((await more.json()) as ErrorBody).error.code, 'quota_exceeded');
    // Committing one of them frees its bytes from the waiting count.
    const one = await alice.json<CommitBatchResponse>('POST', '/v1/commit/batch', {
      commits: [{ path: 'held.bin', size: blocks[0]!.length, blocks: [sha256(blocks[0]!)], baseRev: null }],
    });
    assert.ok('file' in one.body.results[0]!, JSON.stringify(one.body));
    assert.deepEqual((await alice.download('held.bin')).data, blocks[0]);
    const now = await alice.request('POST', '/v1/blocks/batch', { body: batchBody([bytes(1025, 8)]), headers: octets });
    assert.equal(now.status, 204);
  });

  it('refuses commits past the quota inside a batch, one by one', async () => {
    const big = bytes(5 * 1024 * 1024, 9);
    const hashes = blockHashesOf(big);
    for (const [i, hash] of hashes.entries()) {
      const res = await alice.putBlock(hash, big.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
      assert.equal(res.status, 204);
    }
    const c = { size: big.length, blocks: hashes, baseRev: null };
    const out = await alice.json<CommitBatchResponse>('POST', '/v1/commit/batch', {
      commits: [
        { ...c, path: 'one.bin' },
        { ...c, path: 'two.bin' },
        { ...c, path: 'three.bin' },
      ],
    });
    assert.deepEqual(
      out.body.results.map((r) => ('error' in r ? r.error.code : 'ok')),
      ['ok', 'ok', 'quota_exceeded'],
    );
  });

  it('refuses malformed commit batches: not JSON, empty, too many, a bad path', async () => {
    const notJson = await alice.request('POST', '/v1/commit/batch', {
      body: '{"commits": [',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(notJson.status, 400);
    const c = { path: 'x', size: 0, blocks: [], baseRev: null };
    for (const [body, code] of [
      [{ commits: [] }, 'invalid_request'],
      [{ commits: Array.from({ length: 1001 }, (_, i) => ({ ...c, path: `x${i}` })) }, 'invalid_request'],
      [{ commits: [{ ...c, path: '../etc/passwd' }] }, 'invalid_path'],
      [{ nothing: 1 }, 'invalid_request'],
    ] as const) {
      const res = await alice.json<ErrorBody>('POST', '/v1/commit/batch', body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, code);
    }
  });

  it('rebuilds a changed block from the parts that differ, verified against its hash', async () => {
    const old = bytes(BLOCK_SIZE + 1000, 21);
    assert.equal((await alice.upload('big.bin', old)).status, 200);
    const oldHash = blockHashesOf(old)[0]!;
    const parts = await alice.request('GET', `/v1/blocks/${oldHash}/parts`);
    assert.equal(parts.status, 200);
    const got = Buffer.from(await parts.arrayBuffer());
    assert.deepEqual(got, partHashesOf(old.subarray(0, BLOCK_SIZE)));
    assert.equal(got.length, (BLOCK_SIZE / PART_SIZE) * 32);

    const edited = Buffer.from(old);
    edited[BLOCK_SIZE / 2] = edited[BLOCK_SIZE / 2]! ^ 0xff;
    const newBlock = edited.subarray(0, BLOCK_SIZE);
    const index = Math.floor(BLOCK_SIZE / 2 / PART_SIZE);
    const newHash = sha256(newBlock);
    const body = deltaBody([[index, newBlock.subarray(index * PART_SIZE, (index + 1) * PART_SIZE)]]);
    const res = await alice.request('PUT', `/v1/blocks/${newHash}/delta?base=${oldHash}&size=${BLOCK_SIZE}`, { body, headers: octets });
    assert.equal(res.status, 204, await res.text());
    const commit = await alice.json<{ rev: number }>('POST', '/v1/commit', {
      path: 'big.bin',
      size: edited.length,
      blocks: blockHashesOf(edited),
      baseRev: 1,
    });
    assert.equal(commit.status, 200, JSON.stringify(commit.body));
    assert.deepEqual((await alice.download('big.bin')).data, edited);
  });

  it('refuses bad deltas: wrong result, unknown base, a part of the wrong length, a short body, a missing tail part', async () => {
    const old = bytes(3 * PART_SIZE, 31);
    assert.equal((await alice.upload('small.bin', old)).status, 200);
    const base = sha256(old);
    const wrong = bytes(PART_SIZE, 32);
    const grown = Buffer.concat([old, bytes(100, 33)]);
    const cases: [string, string, Buffer, number, string][] = [
      [
        'result does not match',
        `/v1/blocks/${sha256(bytes(10, 1))}/delta?base=${base}&size=${old.length}`,
        deltaBody([[0, wrong]]),
        400,
        'hash_mismatch',
      ],
      [
        'unknown base',
        `/v1/blocks/${sha256(old)}/delta?base=${sha256(wrong)}&size=${old.length}`,
        deltaBody([[0, wrong]]),
        409,
        'block_missing',
      ],
      [
        'part of the wrong length',
        `/v1/blocks/${sha256(old)}/delta?base=${base}&size=${old.length}`,
        deltaBody([[0, wrong.subarray(1)]]),
        400,
        'invalid_request',
      ],
      [
        'part past the end',
        `/v1/blocks/${sha256(old)}/delta?base=${base}&size=${old.length}`,
        deltaBody([[9, wrong]]),
        400,
        'invalid_request',
      ],
      [
        'short body',
        `/v1/blocks/${sha256(old)}/delta?base=${base}&size=${old.length}`,
        deltaBody([[0, wrong]]).subarray(0, 20),
        400,
        'invalid_request',
      ],
      ['tail not sent', `/v1/blocks/${sha256(grown)}/delta?base=${base}&size=${grown.length}`, deltaBody([]), 400, 'invalid_request'],
      ['size over a block', `/v1/blocks/${sha256(old)}/delta?base=${base}&size=${BLOCK_SIZE + 1}`, deltaBody([]), 413, 'payload_too_large'],
      ['no size', `/v1/blocks/${sha256(old)}/delta?base=${base}`, deltaBody([]), 400, 'invalid_request'],
      ['bad base', `/v1/blocks/${sha256(old)}/delta?base=../x&size=1`, deltaBody([]), 400, 'invalid_request'],
    ];
    for (const [name, url, body, status, code] of cases) {
      const res = await alice.request('PUT', url, { body, headers: octets });
      assert.equal(res.status, status, `${name}: ${await res.clone().text()}`);
      assert.equal(((await res.json()) as ErrorBody).error.code, code, name);
    }
    const tail = deltaBody([[3, grown.subarray(3 * PART_SIZE)]]);
    const ok = await alice.request('PUT', `/v1/blocks/${sha256(grown)}/delta?base=${base}&size=${grown.length}`, {
      body: tail,
      headers: octets,
    });
    assert.equal(ok.status, 204, 'a grown block needs only its new tail');
    const parts = await alice.request('GET', `/v1/blocks/${sha256(bytes(10, 77))}/parts`);
    assert.equal(parts.status, 409, 'parts of a block the user does not hold');
  });
});
