// The data server's SHA-256 worker pool: the hash of exactly the bytes it hands back, for blocks in any number of pieces.
import assert from 'node:assert/strict';
import { BLOCK_SIZE } from '@mydropbox/shared';
import { HashPool } from '../src/services/hashPool';
import { bytes, sha256 } from './harness';

describe('data server hash pool', () => {
  let pool: HashPool;
  before(() => {
    pool = new HashPool(2);
  });
  after(async () => pool.close());

  it('hashes blocks given as many chunks, many at once, and hands back the same bytes', async () => {
    const blocks = [bytes(BLOCK_SIZE, 1), bytes(BLOCK_SIZE - 7, 2), bytes(1, 3), bytes(0, 4), bytes(100_000, 5)];
    const pieces = (b: Buffer) => Array.from({ length: Math.ceil(b.length / 65536) }, (_, i) => b.subarray(i * 65536, (i + 1) * 65536));
    for (let round = 0; round < 3; round++) {
      const out = await Promise.all(blocks.map((b) => pool.hash(pieces(b), b.length)));
      for (const [i, o] of out.entries()) {
        assert.equal(o.hash, sha256(blocks[i]!), `block ${i}`);
        assert.deepEqual(Buffer.from(o.data), blocks[i]);
        o.release();
        o.release(); // twice is harmless
      }
    }
  });

  it('reuses a released buffer without mixing its old bytes into the next block', async () => {
    const first = await pool.hash([bytes(BLOCK_SIZE, 9)], BLOCK_SIZE);
    first.release();
    const short = bytes(1000, 10);
    const next = await pool.hash([short], short.length);
    assert.equal(next.hash, sha256(short));
    assert.equal(next.data.length, 1000);
    next.release();
  });

  it('hashes on the event loop once closed (no workers left)', async () => {
    const alone = new HashPool(1);
    await alone.close();
    const b = bytes(5000, 11);
    assert.equal((await alone.hash([b], b.length)).hash, sha256(b));
  });
});
