// Accepting uploaded blocks: one raw block, a batch of small ones, or a changed block as parts of one the server holds.
import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { BLOCK_BATCH_MAX_BYTES, BLOCK_SIZE, MyDropboxError, PART_SIZE, partHashesOf } from '@mydropbox/shared';
import { inParallel } from '../inParallel';
import type { BlockStaging } from '../store/blockStaging';
import type { Quota } from './quota';
import type { Assembler } from './assembler';
import { readBody } from './boundedBody';

/** Frame headers: [32-byte hash][u32 length] in a batch, [u32 part index][u32 length] in a delta. */
const BATCH_HEADER = 36;
const DELTA_HEADER = 8;

export class BlockUploads {
  constructor(
    private readonly staging: BlockStaging,
    private readonly quota: Quota,
    private readonly assembler: Assembler,
  ) {}

  /** `declaredLength` is the request's Content-Length when it sent one: too big is refused unread. */
  async receive(owner: string, hash: string, body: Readable, declaredLength: number | undefined): Promise<number> {
    if (declaredLength !== undefined && declaredLength > BLOCK_SIZE) {
      throw new MyDropboxError('payload_too_large', `A block holds at most ${BLOCK_SIZE} bytes; this one has ${declaredLength}.`);
    }
    await this.quota.checkUpload(owner, declaredLength ?? 0);
    let release: (() => void) | undefined;
    try {
      return await this.staging.receive(owner, hash, body, async (bytes) => {
        release = await this.quota.reserveUpload(owner, bytes);
      });
    } finally {
      release?.();
    }
  }

  /**
   * Many small blocks in one body. All of it is read and every block checked before anything is
   * staged, so a bad frame or a wrong hash stages nothing. Returns how many blocks were staged.
   */
  async receiveBatch(owner: string, body: Readable, declaredLength: number | undefined): Promise<number> {
    if (declaredLength !== undefined && declaredLength > BLOCK_BATCH_MAX_BYTES) throw batchTooLarge(declaredLength);
    await this.quota.checkUpload(owner, declaredLength ?? 0);
    const data = await readBody(body, BLOCK_BATCH_MAX_BYTES, () => batchTooLarge());
    const blocks: { hash: string; bytes: Buffer }[] = [];
    for (let off = 0; off < data.length;) {
      if (data.length - off < BATCH_HEADER) throw malformed('a frame header is cut short');
      const hash = data.toString('hex', off, off + 32);
      const length = data.readUInt32BE(off + 32);
      if (length > BLOCK_SIZE)
        throw new MyDropboxError('payload_too_large', `A block holds at most ${BLOCK_SIZE} bytes; block ${blocks.length} has ${length}.`);
      if (off + BATCH_HEADER + length > data.length) throw malformed(`block ${blocks.length} is cut short`);
      const bytes = data.subarray(off + BATCH_HEADER, off + BATCH_HEADER + length);
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (actual !== hash) {
        throw new MyDropboxError(
          'hash_mismatch',
          `Block ${blocks.length} of the batch has SHA-256 ${actual}, not ${hash} as named; send it again.`,
          {
            index: blocks.length,
            hash,
            actual,
          },
        );
      }
      blocks.push({ hash, bytes });
      off += BATCH_HEADER + length;
    }
    const release = await this.quota.reserveUpload(
      owner,
      blocks.reduce((n, b) => n + b.bytes.length, 0),
    );
    try {
      await inParallel(blocks, 16, (b) => this.staging.hold(owner, b.hash, b.bytes));
    } finally {
      release();
    }
    return blocks.length;
  }

  /** The raw SHA-256 of each part of a block the user holds (staged or in a live file). */
  async parts(owner: string, hash: string): Promise<Buffer> {
    return partHashesOf(await this.assembler.readBlock(owner, hash));
  }

  /**
   * Block `hash` of `size` bytes, sent as the parts that differ from block `base`: the rest is
   * copied from `base`, and the result must hash to `hash` before it is staged.
   */
  async receiveDelta(
    owner: string,
    hash: string,
    base: string,
    size: number,
    body: Readable,
    declaredLength: number | undefined,
  ): Promise<void> {
    if (size > BLOCK_SIZE) throw new MyDropboxError('payload_too_large', `A block holds at most ${BLOCK_SIZE} bytes; size is ${size}.`);
    const limit = size + Math.ceil(size / PART_SIZE) * DELTA_HEADER;
    const tooLarge = () => new MyDropboxError('payload_too_large', `A delta for a ${size}-byte block carries at most ${limit} bytes.`);
    if (declaredLength !== undefined && declaredLength > limit) throw tooLarge();
    await this.quota.checkUpload(owner, size);
    const data = await readBody(body, limit, tooLarge);
    const baseBlock = await this.assembler.readBlock(owner, base);
    const block = Buffer.alloc(size);
    baseBlock.copy(block, 0, 0, Math.min(size, baseBlock.length));
    const parts = Math.ceil(size / PART_SIZE);
    const sent = new Set<number>();
    for (let off = 0; off < data.length;) {
      if (data.length - off < DELTA_HEADER) throw malformed('a part header is cut short');
      const index = data.readUInt32BE(off);
      const length = data.readUInt32BE(off + 4);
      const want = Math.min(PART_SIZE, size - index * PART_SIZE);
      if (index >= parts || length !== want)
        throw malformed(`part ${index} must be ${Math.max(want, 0)} bytes of a ${size}-byte block, not ${length}`);
      if (off + DELTA_HEADER + length > data.length) throw malformed(`part ${index} is cut short`);
      data.copy(block, index * PART_SIZE, off + DELTA_HEADER, off + DELTA_HEADER + length);
      sent.add(index);
      off += DELTA_HEADER + length;
    }
    for (let i = 0; i < parts; i++) {
      if (baseBlock.length < Math.min((i + 1) * PART_SIZE, size) && !sent.has(i)) {
        throw malformed(`part ${i} lies past the end of the base block, so it must be sent`);
      }
    }
    const actual = createHash('sha256').update(block).digest('hex');
    if (actual !== hash) {
      throw new MyDropboxError('hash_mismatch', `The rebuilt block has SHA-256 ${actual}, not ${hash}; send the whole block.`, { actual });
    }
    const release = await this.quota.reserveUpload(owner, size);
    try {
      await this.staging.hold(owner, hash, block);
    } finally {
      release();
    }
  }
}

function batchTooLarge(length?: number): MyDropboxError {
  return new MyDropboxError(
    'payload_too_large',
    `A block batch carries at most ${BLOCK_BATCH_MAX_BYTES} bytes${length === undefined ? '' : `; this one has ${length}`}; split it.`,
  );
}

function malformed(what: string): MyDropboxError {
  return new MyDropboxError('invalid_request', `The body is malformed: ${what}.`);
}
