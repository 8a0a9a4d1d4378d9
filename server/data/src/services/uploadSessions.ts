// Upload sessions for big files: each verified block is written straight to its offset in the commit's temp file.
import type { FileHandle } from 'node:fs/promises';
import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { BLOCK_SIZE, MyDropboxError, blockCount, blockLength } from '@mydropbox/shared';
import type { UserFiles } from '../store/userFiles';
import type { Quota } from './quota';
import { readBodyChunks } from './boundedBody';
import type { HashPool } from './hashPool';
import { writeFull } from '../store/fullIo';

/** Open sessions per user: enough for a client's parallel big uploads, few enough to bound the disk they hold. */
export const SESSIONS_PER_USER = 4;
/** A session no block or commit touched for this long is dropped with its temp file. */
const IDLE_MS = 10 * 60 * 1000;
/** Written bytes after which a background fdatasync starts, so the commit's fsync finds little left to write. */
const SYNC_EVERY = 64 * 1024 * 1024;

export interface UploadSession {
  readonly id: string;
  readonly owner: string;
  readonly size: number;
  readonly blocks: readonly string[];
  readonly tempPath: string;
  readonly handle: FileHandle;
  /** Indexes whose bytes this process hashed, found equal to `blocks[i]`, and wrote at `i * BLOCK_SIZE`. */
  readonly written: Set<number>;
  touched: number;
  unsynced: number;
  syncing?: Promise<void>;
  syncError?: unknown;
  /** Block writes in progress; a commit waits for them before it reads or closes the file. */
  readonly pending: Set<Promise<void>>;
}

export class UploadSessions {
  private readonly sessions = new Map<string, UploadSession>();

  constructor(
    private readonly disk: UserFiles,
    private readonly quota: Quota,
    private readonly hashes: HashPool,
  ) {
    quota.countOpenUploads((owner) => this.bytesOf(owner));
  }

  /** The bytes the open sessions of `owner` will hold (counted against the quota from the moment they open). */
  bytesOf(owner: string): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.owner === owner) n += s.size;
    return n;
  }

  /** Opens a session for a file of `size` bytes made of `blocks`; its temp file counts against the upload quota. */
  async open(owner: string, size: number, blocks: readonly string[], now = Date.now()): Promise<string> {
    await this.dropIdle(now);
    if (blocks.length !== blockCount(size)) {
      throw new MyDropboxError('invalid_request', `A ${size}-byte file has ${blockCount(size)} blocks, not ${blocks.length}.`);
    }
    const mine = [...this.sessions.values()].filter((s) => s.owner === owner);
    if (mine.length >= SESSIONS_PER_USER) {
      throw new MyDropboxError('rate_limited', `You have ${mine.length} uploads open; commit one or wait ${IDLE_MS / 60_000} minutes.`);
    }
    const release = await this.quota.reserveUpload(owner, size);
    try {
      const { tempPath, handle } = await this.disk.createTemp(true);
      const id = randomBytes(16).toString('hex');
      this.sessions.set(id, {
        id,
        owner,
        size,
        blocks: [...blocks],
        tempPath,
        handle,
        written: new Set(),
        touched: now,
        unsynced: 0,
        pending: new Set(),
      });
      return id;
    } finally {
      release(); // counted from now on as an open session (bytesOf)
    }
  }

  /**
   * Block `index` of the session's file: read whole (at most its length, else 413), checked against
   * its hash (400), written at its offset. A block already written is read and dropped.
   */
  async receive(owner: string, id: string, index: number, body: Readable, declaredLength: number | undefined): Promise<void> {
    const s = this.find(owner, id);
    if (!Number.isInteger(index) || index < 0 || index >= s.blocks.length) {
      throw new MyDropboxError('invalid_request', `This upload has blocks 0 to ${s.blocks.length - 1}; there is no block ${index}.`);
    }
    const want = blockLength(s.size, index);
    const tooLarge = () => new MyDropboxError('payload_too_large', `Block ${index} of this upload is ${want} bytes.`);
    if (declaredLength !== undefined && declaredLength > want) throw tooLarge();
    const { chunks, received } = await readBodyChunks(body, want, tooLarge);
    if (received !== want) throw new MyDropboxError('invalid_request', `Block ${index} of this upload is ${want} bytes, not ${received}.`);
    const block = await this.hashes.hash(chunks, received);
    try {
      if (block.hash !== s.blocks[index]) {
        const actual = block.hash;
        throw new MyDropboxError('hash_mismatch', `Block ${index} has SHA-256 ${actual}, not ${s.blocks[index]}; send it again.`, {
          actual,
        });
      }
      if (this.sessions.get(id) !== s) throw gone(); // committed or dropped while the body arrived
      s.touched = Date.now();
      if (!s.written.has(index)) await this.write(s, index, block.data);
    } finally {
      block.release();
    }
  }

  /** Writes a verified block at its offset; every SYNC_EVERY bytes start a background fdatasync. */
  private async write(s: UploadSession, index: number, data: Buffer): Promise<void> {
    const write = (async () => {
      await writeFull(s.handle, data, index * BLOCK_SIZE);
      s.written.add(index);
      s.unsynced += data.length;
      if (s.unsynced >= SYNC_EVERY && !s.syncing) this.syncInBackground(s);
    })();
    s.pending.add(write);
    try {
      await write;
    } finally {
      s.pending.delete(write);
    }
  }

  /**
   * Hands the session to a commit of exactly its size and blocks, once its writes have finished;
   * the commit then owns (and must close or remove) the temp file. `block_missing` if it is gone.
   */
  async take(owner: string, id: string, size: number, blocks: readonly string[]): Promise<UploadSession> {
    const s = this.sessions.get(id);
    if (!s || s.owner !== owner) throw gone();
    if (s.size !== size || s.blocks.length !== blocks.length || s.blocks.some((h, i) => h !== blocks[i])) {
      throw new MyDropboxError('invalid_request', 'The commit names other blocks or another size than its upload session.');
    }
    this.sessions.delete(id);
    await Promise.allSettled([...s.pending]);
    await s.syncing;
    if (s.syncError !== undefined) {
      await discard(s);
      throw s.syncError;
    }
    return s;
  }

  /** Removes every session (on close). */
  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => Promise.allSettled([...s.pending]).then(() => discard(s))));
  }

  private find(owner: string, id: string): UploadSession {
    const s = this.sessions.get(id);
    if (!s || s.owner !== owner) throw new MyDropboxError('not_found', 'There is no such upload; open a new one.');
    return s;
  }

  private syncInBackground(s: UploadSession): void {
    s.unsynced = 0;
    s.syncing = s.handle
      .datasync()
      .catch((err: unknown) => {
        s.syncError = err;
      })
      .finally(() => {
        s.syncing = undefined;
      });
  }

  private async dropIdle(now: number): Promise<void> {
    for (const s of [...this.sessions.values()]) {
      if (now - s.touched > IDLE_MS && s.pending.size === 0) {
        this.sessions.delete(s.id);
        await discard(s);
      }
    }
  }
}

function gone(): MyDropboxError {
  return new MyDropboxError(
    'block_missing',
    'The upload session is gone (committed, expired or the server restarted); upload the file again.',
    {
      missing: [],
    },
  );
}

export async function discard(s: UploadSession): Promise<void> {
  await s.syncing;
  await s.handle.close().catch(() => undefined);
  await fs.rm(s.tempPath, { force: true });
}
