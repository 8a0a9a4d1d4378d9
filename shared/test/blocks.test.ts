import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BLOCK_SIZE, BlockSplitter, blockHashesOf, sha256Hex } from '../src';

/** Splits `data` fed in chunks of the given sizes and returns each block's hash, as the WebDAV upload and the client's download do. */
async function splitHashes(data: Buffer, chunkSizes: number[]): Promise<{ hashes: string[]; size: number }> {
  const hashes: string[] = [];
  let pieces: Uint8Array[] = [];
  const splitter = new BlockSplitter(
    (bytes) => pieces.push(Buffer.from(bytes)),
    () => {
      hashes.push(sha256Hex(Buffer.concat(pieces)));
      pieces = [];
    },
  );
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = chunkSizes[i % chunkSizes.length];
    await splitter.push(data.subarray(off, off + n));
    off += n;
  }
  await splitter.finish();
  return { hashes, size: splitter.size };
}

describe('block splitting of a stream', () => {
  it('gives the same blocks as hashing the whole buffer, wherever the chunk edges fall', async () => {
    const data = randomBytes(2 * BLOCK_SIZE + 12_345);
    for (const sizes of [[data.length], [65_536], [BLOCK_SIZE], [BLOCK_SIZE - 1, 3], [1_000_003, 7]]) {
      const { hashes, size } = await splitHashes(data, sizes);
      assert.deepEqual(hashes, blockHashesOf(data), `chunks of ${sizes.join(', ')}`);
      assert.equal(size, data.length);
    }
  });

  it('ends exactly at a block edge without an empty last block, and an empty stream has no blocks', async () => {
    const exact = randomBytes(BLOCK_SIZE);
    assert.deepEqual((await splitHashes(exact, [999_999])).hashes, [sha256Hex(exact)]);
    assert.deepEqual(await splitHashes(Buffer.alloc(0), [1]), { hashes: [], size: 0 });
  });
});
