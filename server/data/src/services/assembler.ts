// Builds a new file version from its block list: staged uploads and blocks of the user's other files, each verified.
import type { FileHandle } from 'node:fs/promises';
import fs from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { BLOCK_SIZE, MyDropboxError, blockLength, sha256Hex } from '@mydropbox/shared';
import type { FilesRepository } from '../store/filesRepository';
import type { BlockStaging } from '../store/blockStaging';
import type { UserFiles } from '../store/userFiles';
import type { PublishedHere } from '../store/publishedHere';
import type { UploadSession } from './uploadSessions';
import { readFull, writeFull } from '../store/fullIo';

export type BlockSource =
  | { kind: 'memory'; data: Buffer }
  | { kind: 'staged'; file: string }
  | { kind: 'held'; path: string; idx: number; size: number }
  | { kind: 'kept'; file: string; offset: number; length: number };

/** Blocks kept for versions (versionKeeper.ts): a restore is built from them, and uploads need not send them again. */
export interface KeptBlocks {
  locate(owner: string, hashes: readonly string[]): Promise<Map<string, { file: string; offset: number; length: number }>>;
}

export class Assembler {
  constructor(
    private readonly files: FilesRepository,
    private readonly disk: UserFiles,
    private readonly staging: BlockStaging,
    private readonly published: PublishedHere,
    private readonly kept?: KeptBlocks,
  ) {}

  /** The identity of each live file opened as a block source, taken when it was opened. */
  private readonly identities = new WeakMap<FileHandle, BigIntStats>();

  /** Where each block can be read, staged uploads first; `block_missing` lists the ones found nowhere. */
  async locate(owner: string, blocks: readonly string[]): Promise<Map<string, BlockSource[]>> {
    const { sources, missing } = await this.locateSome(owner, blocks);
    if (missing.length) throw blockMissing(missing);
    return sources;
  }

  /** One block's bytes (staged or from a live file), checked against its hash; `block_missing` if none is intact. */
  async readBlock(owner: string, hash: string): Promise<Buffer> {
    const sources = await this.locate(owner, [hash]);
    const held = new Map<string, FileHandle>();
    try {
      return Buffer.from(await this.readVerified(owner, hash, sources.get(hash) ?? [], Buffer.allocUnsafe(BLOCK_SIZE), held, true));
    } finally {
      await Promise.all([...held.values()].map((h) => h.close().catch(() => undefined)));
    }
  }

  /** Like locate, but hands back the blocks found nowhere instead of throwing (a batch fails only the files that need them). */
  async locateSome(owner: string, blocks: readonly string[]): Promise<{ sources: Map<string, BlockSource[]>; missing: string[] }> {
    const sources = new Map<string, BlockSource[]>();
    const notStaged: string[] = [];
    for (const hash of new Set(blocks)) {
      const inMemory = this.staging.heldBlock(owner, hash);
      if (inMemory) sources.set(hash, [{ kind: 'memory', data: inMemory }]);
      else if (this.staging.has(owner, hash)) sources.set(hash, [{ kind: 'staged', file: this.staging.blockPath(owner, hash) }]);
      else notStaged.push(hash);
    }
    const held = notStaged.length ? await this.files.holders(owner, notStaged) : new Map();
    const notHeld: string[] = [];
    for (const hash of notStaged) {
      const places = held.get(hash);
      if (places?.length)
        sources.set(
          hash,
          places.map((h: { path: string; idx: number; size: number }) => ({ kind: 'held' as const, ...h })),
        );
      else notHeld.push(hash);
    }
    const kept = notHeld.length && this.kept ? await this.kept.locate(owner, notHeld) : new Map<string, never>();
    const missing: string[] = [];
    for (const hash of notHeld) {
      const place = kept.get(hash);
      if (place) sources.set(hash, [{ kind: 'kept', ...place }]);
      else missing.push(hash);
    }
    return { sources, missing };
  }

  /**
   * Writes the blocks, in order, into a new temp file, checking every block's SHA-256 (except
   * blocks this process hashed on arrival) and length as it goes, and fsyncs it. Returns the temp file's path; on any failure the temp file is removed.
   * With an upload session, its temp file is completed instead: the blocks it holds were hashed and
   * written by this process (a crash removes the whole temp file), so only the others are filled in,
   * a block the session holds at another index copied from there.
   */
  async build(
    owner: string,
    size: number,
    blocks: readonly string[],
    sources: Map<string, BlockSource[]>,
    session?: UploadSession,
  ): Promise<string> {
    const { tempPath, handle } = session ?? (await this.disk.createTemp());
    const inSession = new Map<string, number>();
    for (const i of session?.written ?? []) inSession.set(blocks[i]!, i);
    const todo = blocks.map((_, i) => i).filter((i) => !session?.written.has(i));
    const held = new Map<string, FileHandle>();
    // Two buffers: the next block is read while the current one is hashed and written.
    const bufferSize = Math.max(1, Math.min(BLOCK_SIZE, size));
    const buffers = [Buffer.allocUnsafe(bufferSize), Buffer.allocUnsafe(bufferSize)];
    try {
      const read = (k: number) => {
        const i = todo[k]!;
        const at = inSession.get(blocks[i]!);
        if (at !== undefined)
          return readFull(handle, buffers[k % 2]!, blockLength(size, at), at * BLOCK_SIZE).then((n) => buffers[k % 2]!.subarray(0, n));
        return this.readVerified(owner, blocks[i]!, sources.get(blocks[i]!) ?? [], buffers[k % 2]!, held);
      };
      let next = todo.length ? read(0) : undefined;
      for (let k = 0; k < todo.length; k++) {
        const i = todo[k]!;
        const data = await next!;
        next = k + 1 < todo.length ? read(k + 1) : undefined;
        next?.catch(() => undefined); // awaited on the next turn; this keeps an early failure from going unhandled
        checkLength(size, i, data.length);
        await writeFull(handle, data, i * BLOCK_SIZE);
      }
      await handle.sync();
      await handle.close();
      return tempPath;
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.rm(tempPath, { force: true });
      throw err;
    } finally {
      await Promise.all([...held.values()].map((h) => h.close().catch(() => undefined)));
    }
  }

  /**
   * The verified bytes of a file of at most one block, in memory (a batch journals them and writes
   * the file without an fsync of its own; see writeJournal.ts).
   */
  async readSmall(owner: string, size: number, blocks: readonly string[], sources: Map<string, BlockSource[]>): Promise<Buffer> {
    if (blocks.length > 1) throw new Error('readSmall reads files of at most one block');
    const held = new Map<string, FileHandle>();
    try {
      const data = blocks.length
        ? await this.readVerified(owner, blocks[0]!, sources.get(blocks[0]!) ?? [], Buffer.allocUnsafe(Math.max(1, size)), held)
        : Buffer.alloc(0);
      checkLength(size, 0, data.length);
      return data;
    } finally {
      await Promise.all([...held.values()].map((h) => h.close().catch(() => undefined)));
    }
  }

  private async readVerified(
    owner: string,
    hash: string,
    places: BlockSource[],
    buf: Buffer,
    held: Map<string, FileHandle>,
    alwaysHash = false,
  ): Promise<Buffer> {
    for (const place of places) {
      try {
        let n: number;
        let trusted = false;
        if (place.kind === 'memory') {
          // Hashed on arrival by this process and never on disk since: nothing can have torn it.
          if (!alwaysHash || sha256Hex(place.data) === hash) return place.data;
          continue;
        } else if (place.kind === 'staged') {
          trusted = !alwaysHash && this.staging.verifiedThisRun(place.file);
          const h = await fs.open(place.file, 'r');
          try {
            // A staged block longer than the buffer (sized to the file) does not fit this file: read it whole so the length check refuses it.
            const { size: stagedSize } = await h.stat();
            if (stagedSize > buf.length) buf = Buffer.allocUnsafe(Math.min(stagedSize, BLOCK_SIZE));
            n = await readFull(h, buf, Math.min(BLOCK_SIZE, buf.length), 0);
          } finally {
            await h.close();
          }
        } else if (place.kind === 'kept') {
          // Never trusted without a hash: a pack may be a hard link to a file written long ago.
          const h = await fs.open(place.file, 'r');
          try {
            if (place.length > buf.length) buf = Buffer.allocUnsafe(place.length);
            n = await readFull(h, buf, place.length, place.offset);
          } finally {
            await h.close();
          }
        } else {
          let h = held.get(place.path);
          if (!h) {
            h = await this.disk.open(owner, place.path);
            held.set(place.path, h);
            this.identities.set(h, await h.stat({ bigint: true }));
          }
          const identity = this.identities.get(h);
          trusted =
            !alwaysHash && identity !== undefined && this.published.trusts(this.disk.abs(owner, place.path), identity, place.idx, hash);
          const want = blockLength(place.size, place.idx);
          if (want > buf.length) buf = Buffer.allocUnsafe(want);
          n = await readFull(h, buf, want, place.idx * BLOCK_SIZE);
        }
        const data = buf.subarray(0, n);
        if (trusted || sha256Hex(data) === hash) return data;
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
    // Every copy was gone or damaged (a crash between rename and row, a torn upload): ask for it again.
    throw blockMissing([hash]);
  }
}

function checkLength(size: number, i: number, length: number): void {
  if (length !== blockLength(size, i)) {
    throw new MyDropboxError(
      'invalid_request',
      `Block ${i} is ${length} bytes, but a ${size}-byte file needs ${blockLength(size, i)} there; the size does not match the blocks.`,
    );
  }
}

function blockMissing(missing: string[]): MyDropboxError {
  return new MyDropboxError('block_missing', `The server does not have ${missing.length} of the blocks; upload them, then commit again.`, {
    missing,
  });
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
