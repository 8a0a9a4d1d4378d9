// Issue 13.7 and 13.8: a commit's blocks must make up its size; staged blocks, open upload sessions and committed files
// count against the quota by one rule; a path too long for the server's disk is a clear 400, never a 500.
import assert from 'node:assert/strict';
import { BLOCK_SIZE, blockHashesOf, CommitBatchResponse, ErrorBody } from '@mydropbox/shared';
import { bytes, DataClient, Harness, sha256, startHarness } from './harness';

describe('data server limits: commits that do not add up, the quota across uploads, long paths', () => {
  let h: Harness;
  const QUOTA = 12 * 1024 * 1024;

  before(async () => {
    h = await startHarness({ quotaBytes: QUOTA });
  });
  after(async () => h?.stop());

  it('refuses a commit whose blocks do not make up its declared size (3 GB over one 4 MiB block), alone or in a batch', async () => {
    const c = h.as('dora');
    const block = bytes(BLOCK_SIZE, 1);
    assert.equal((await c.putBlock(sha256(block), block)).status, 204);
    for (const size of [3_000_000_000, BLOCK_SIZE + 1, 0]) {
      const res = await c.json<ErrorBody>('POST', '/v1/commit', { path: 'huge.bin', size, blocks: [sha256(block)], baseRev: null });
      assert.equal(res.status, 400, `size ${size}`);
      assert.equal(res.body.error.code, 'invalid_request');
      assert.match(res.body.error.message, /blocks do not make up the size/);
    }
    const batch = await c.json<ErrorBody>('POST', '/v1/commit/batch', {
      commits: [{ path: 'huge.bin', size: 3_000_000_000, blocks: [sha256(block)], baseRev: null }],
    });
    assert.equal(batch.status, 400);
    const usage = await c.json<{ usedBytes: number }>('GET', '/v1/usage');
    assert.equal(usage.body.usedBytes, 0, 'nothing was charged or listed');
    const ok = await c.json('POST', '/v1/commit', { path: 'exact.bin', size: BLOCK_SIZE, blocks: [sha256(block)], baseRev: null });
    assert.equal(ok.status, 200);
  });

  it('counts open upload sessions and staged blocks together as uploads waiting for a commit: never more than one quota of them', async () => {
    const c = h.as('ulla');
    // 12 MiB quota. An open session of 8 MiB and 4 MiB of staged blocks fill the waiting uploads' quota; counted apart, each could have had 12 MiB.
    const big = bytes(2 * BLOCK_SIZE, 2);
    const open = await c.json<{ uploadId: string } & Partial<ErrorBody>>('POST', '/v1/uploads', {
      size: big.length,
      blocks: blockHashesOf(big),
    });
    assert.equal(open.status, 201, JSON.stringify(open.body));
    const staged = bytes(BLOCK_SIZE, 3);
    assert.equal((await c.putBlock(sha256(staged), staged)).status, 204);
    const more = bytes(1000, 4);
    const refused = await c.putBlock(sha256(more), more);
    assert.equal(refused.status, 507);
    const err = ((await refused.json()) as ErrorBody).error;
    assert.equal(err.code, 'quota_exceeded');
    assert.match(err.message, /waiting for a commit/);
    const second = await c.json<ErrorBody>('POST', '/v1/uploads', { size: 1000, blocks: [sha256(more)] });
    assert.equal(second.status, 507, 'a second session does not fit either');
    const batch = await c.request('POST', '/v1/blocks/batch', {
      body: Buffer.concat([Buffer.from(sha256(more), 'hex'), Buffer.from([0, 0, 3, 232]), more]),
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(batch.status, 507, 'nor a batch of small blocks');
    // Committing the staged block moves it from the waiting uploads to the files: room for more waiting uploads again.
    const commit = await c.json<CommitBatchResponse>('POST', '/v1/commit/batch', {
      commits: [{ path: 'staged.bin', size: staged.length, blocks: [sha256(staged)], baseRev: null }],
    });
    assert.ok('file' in commit.body.results[0]!, JSON.stringify(commit.body));
    assert.equal((await c.putBlock(sha256(more), more)).status, 204);
  });

  it('checks uploads arriving together against the room once: six 4 MiB blocks at once into a 12 MiB quota, three get in', async () => {
    const c = h.as('cora');
    const blocks = Array.from({ length: 6 }, (_, i) => bytes(BLOCK_SIZE, 40 + i));
    const answers = await Promise.all(blocks.map((b) => c.putBlock(sha256(b), b)));
    const statuses = await Promise.all(answers.map(async (r) => (await r.arrayBuffer(), r.status)));
    assert.deepEqual(statuses.filter((s) => s === 204).length, 3, `answers: ${statuses.join(' ')}`);
    assert.ok(statuses.every((s) => s === 204 || s === 507));
    const sessions = await Promise.all(
      [1, 2].map(() => c.json('POST', '/v1/uploads', { size: 2 * BLOCK_SIZE, blocks: blockHashesOf(bytes(2 * BLOCK_SIZE, 50)) })),
    );
    assert.deepEqual(
      sessions.map((r) => r.status),
      [507, 507],
      'no session fits beside them',
    );
  });

  describe('a path too long for the server once under its storage folder', () => {
    // Every segment within 255 bytes and the whole within the 4096 the protocol allows, but too long under <root>/<id>/<user>/.
    const longPath =
      Array.from({ length: 16 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(250)}`).join('/') + '/' + 'y'.repeat(31);

    it('is 4,079 bytes and otherwise valid', () => {
      assert.equal(Buffer.byteLength(longPath), 4079);
    });

    it('is refused with a clear 400 by a commit, a batch (that path alone), a copy, a move, a download and a delete', async () => {
      const c: DataClient = h.as('lena');
      const data = Buffer.from('short content');
      assert.equal((await c.upload('fine.txt', data)).status, 200);
      const expect400 = (what: string, res: { status: number; body: ErrorBody }) => {
        assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'invalid_path', what);
        assert.match(res.body.error.message, /this server stores paths of at most \d+ bytes/, what);
      };
      expect400(
        'commit',
        await c.json<ErrorBody>('POST', '/v1/commit', { path: longPath, size: data.length, blocks: blockHashesOf(data), baseRev: null }),
      );
      const batch = await c.json<CommitBatchResponse>('POST', '/v1/commit/batch', {
        commits: [
          { path: longPath, size: data.length, blocks: blockHashesOf(data), baseRev: null },
          { path: 'also-fine.txt', size: data.length, blocks: blockHashesOf(data), baseRev: null },
        ],
      });
      assert.equal(batch.status, 200);
      const [bad, good] = batch.body.results;
      assert.ok(bad && 'error' in bad && bad.error.code === 'invalid_path', JSON.stringify(bad));
      assert.ok(good && 'file' in good, JSON.stringify(good));
      expect400('copy', await c.json<ErrorBody>('POST', '/v1/files/copy', { from: 'fine.txt', to: longPath }));
      expect400('move', await c.json<ErrorBody>('POST', '/v1/files/move', { from: 'fine.txt', to: longPath }));
      const q = `path=${encodeURIComponent(longPath)}`;
      for (const [method, url] of [
        ['GET', `/v1/files/content?${q}`],
        ['GET', `/v1/files/meta?${q}`],
        ['DELETE', `/v1/files?${q}`],
      ] as const) {
        const res = await c.json<ErrorBody>(method, url);
        assert.ok(res.status === 400 || res.status === 404, `${method} ${url.slice(0, 30)}: ${res.status}`);
        assert.notEqual(res.status, 500);
      }
      assert.deepEqual((await c.download('fine.txt')).data, data, 'nothing else changed');
    });
  });
});
