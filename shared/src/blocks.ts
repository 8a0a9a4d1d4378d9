// Block size, block hashing and the content hash: the units of storage, dedup and transfer.
import { createHash } from 'node:crypto';

/** Files are stored and deduplicated as blocks of this size (the last one may be shorter). */
export const BLOCK_SIZE = 4 * 1024 * 1024;

const HEX64 = /^[0-9a-f]{64}$/;

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function isBlockHash(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value);
}

/**
 * The content hash of a file is the SHA-256 of its block hashes' bytes, concatenated, as Dropbox
 * does: a server can compute it from a block list without reading the file again.
 */
export function contentHashOfBlocks(blockHashes: readonly string[]): string {
  const h = createHash('sha256');
  for (const b of blockHashes) h.update(Buffer.from(b, 'hex'));
  return h.digest('hex');
}

export function blockCount(size: number): number {
  return Math.ceil(size / BLOCK_SIZE);
}

/** The length of block `index` in a file of `size` bytes. */
export function blockLength(size: number, index: number): number {
  return Math.min(BLOCK_SIZE, size - index * BLOCK_SIZE);
}

/** Splits an in-memory buffer into block hashes (for tests and small files). */
export function blockHashesOf(data: Uint8Array): string[] {
  const hashes: string[] = [];
  for (let off = 0; off < data.length; off += BLOCK_SIZE) hashes.push(sha256Hex(data.subarray(off, off + BLOCK_SIZE)));
  return hashes;
}

/** A changed block is sent as the 64 KiB parts that differ from a block the server holds (see protocol.ts). */
export const PART_SIZE = 64 * 1024;

/** The raw SHA-256 of each PART_SIZE piece of a block, concatenated (32 bytes per part). */
export function partHashesOf(block: Uint8Array): Buffer {
  const parts = Math.ceil(block.length / PART_SIZE);
  const out = Buffer.allocUnsafe(parts * 32);
  for (let i = 0; i < parts; i++) {
    createHash('sha256')
      .update(block.subarray(i * PART_SIZE, (i + 1) * PART_SIZE))
      .digest()
      .copy(out, i * 32);
  }
  return out;
}

/**
 * Cuts a stream of chunks into blocks as they arrive, wherever the chunks' own edges fall: `slice`
 * gets each piece of the current block in order, `blockEnd` runs when a block is whole (and, from
 * `finish`, for a last shorter one). The WebDAV upload and the client's download both read this way.
 */
export class BlockSplitter {
  private inBlock = 0;
  /** Bytes pushed so far. */
  size = 0;

  constructor(
    private readonly slice: (bytes: Uint8Array) => void,
    private readonly blockEnd: () => void | Promise<void>,
  ) {}

  async push(chunk: Uint8Array): Promise<void> {
    for (let off = 0; off < chunk.length;) {
      const take = Math.min(chunk.length - off, BLOCK_SIZE - this.inBlock);
      this.slice(chunk.subarray(off, off + take));
      this.inBlock += take;
      this.size += take;
      off += take;
      if (this.inBlock === BLOCK_SIZE) {
        this.inBlock = 0;
        await this.blockEnd();
      }
    }
  }

  /** Ends the last block if it has bytes (an empty stream has no blocks). */
  async finish(): Promise<void> {
    if (this.inBlock > 0) {
      this.inBlock = 0;
      await this.blockEnd();
    }
  }
}
