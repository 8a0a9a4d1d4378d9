// Hashing a file as the server will see it: 4 MiB blocks, SHA-256 each, and the content hash over them, in one read.
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { BLOCK_SIZE, contentHashOfBlocks, type ClassifiedError } from '@mydropbox/shared';
import { hashBlocksInParallel } from './hashWorkers';

/** What the "unchanged" test compares: size, times and inode, and when the content was read. */
export interface FileStat {
  size: number;
  mtime: number; // ms, with the sub-millisecond part the file system keeps
  ino: number;
  /** Status-change time: any write, chmod or utimes moves it, so a rewrite that puts the mtime back is still seen. Absent: unknown (older state). */
  ctime?: number;
  /** Wall-clock ms when the content was read (before it was): an mtime this close to it may hide a later write in the same tick. */
  hashedAt?: number;
}

export interface FileHash extends FileStat {
  blocks: string[];
  contentHash: string;
}

/** The file changed while it was read (still being written): try again once it settles. */
export class FileChangingError extends Error implements ClassifiedError {
  readonly errorClass = 'localChanged';

  constructor(readonly path: string) {
    super(`${path} changed while it was read`);
    this.name = 'FileChangingError';
  }
}

/** Opened for reading without following a link in the last place: a file swapped for a link is never read through it. */
const READ_NO_FOLLOW = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0);

/** The part of an lstat the "unchanged" test reads (an fs.Stats, or the scan's columns). */
export type StatLike = Pick<fs.Stats, 'size' | 'mtimeMs' | 'ino' | 'ctimeMs'>;

/** Size, modification and change times and inode: if none moved, the bytes did not either (as git assumes). */
export function sameStat(a: FileStat, b: StatLike): boolean {
  return (
    a.size === b.size &&
    a.mtime === b.mtimeMs &&
    a.ino === b.ino &&
    (a.ctime === undefined || Number.isNaN(a.ctime) || a.ctime === b.ctimeMs)
  );
}

/**
 * Git's "racily clean" rule: file times tick coarsely (a jiffy on Linux, a second or two on FAT, HFS+,
 * many network shares), so a write in the same tick as the read that hashed a file can leave every
 * time as it was. An entry whose mtime is within a tick of when it was hashed is therefore not
 * trusted by its stat: the file is read again. A whole-second mtime suggests a coarse file system.
 */
export function isRacy(e: Pick<FileStat, 'mtime' | 'hashedAt'>): boolean {
  if (e.hashedAt === undefined || Number.isNaN(e.hashedAt)) return false;
  const tick = e.mtime % 1000 === 0 ? 2_000 : 20;
  return e.mtime >= e.hashedAt - tick;
}

/** Just the stat of an entry (the optional times only when known), to copy from one tree's entry into another's. */
export function statOf(e: FileStat): FileStat {
  return {
    size: e.size,
    mtime: e.mtime,
    ino: e.ino,
    ...(e.ctime !== undefined ? { ctime: e.ctime } : {}),
    ...(e.hashedAt !== undefined ? { hashedAt: e.hashedAt } : {}),
  };
}

/** The scanner's "unchanged, no need to read it" test: the same stat, and not racily clean. */
export function trustStat(known: FileStat, st: StatLike): boolean {
  return sameStat(known, st) && !isRacy(known);
}

/** From this size on a file's blocks are hashed by the worker pool, on every core (below it, starting the work costs more than it saves). */
export const PARALLEL_HASH_MIN = 4 * BLOCK_SIZE;

/**
 * Reads the file once, block by block (big files: each run of blocks read once by one worker). The size, mtime and inode are checked before and after: a
 * file still being written (or replaced) throws FileChangingError instead of giving a half-done hash.
 * Returns null when the file is gone.
 */
export async function hashFile(absPath: string, buffer?: Buffer): Promise<FileHash | null> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(absPath, READ_NO_FOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new FileChangingError(absPath); // became a link since it was looked at
    throw err;
  }
  try {
    const hashedAt = Date.now();
    const before = await handle.stat();
    if (!before.isFile()) return null;
    const parallel = before.size >= PARALLEL_HASH_MIN ? await parallelBlocks(absPath, before) : undefined;
    const blocks: string[] = parallel ?? [];
    const buf = parallel
      ? Buffer.alloc(0)
      : buffer && buffer.length >= Math.min(before.size, BLOCK_SIZE)
        ? buffer
        : Buffer.allocUnsafe(Math.min(Math.max(before.size, 1), BLOCK_SIZE));
    let offset = parallel ? before.size : 0;
    while (!parallel) {
      const want = Math.min(BLOCK_SIZE, buf.length);
      let filled = 0;
      while (filled < want) {
        const { bytesRead } = await handle.read(buf, filled, want - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled === 0) break;
      blocks.push(createHash('sha256').update(buf.subarray(0, filled)).digest('hex'));
      offset += filled;
      if (filled < want) break;
    }
    const after = await fs.promises.stat(absPath).catch(() => null);
    const snapshot = { size: before.size, mtime: before.mtimeMs, ino: before.ino, ctime: before.ctimeMs, hashedAt };
    if (!after || offset !== before.size || !sameStat(snapshot, after)) throw new FileChangingError(absPath);
    return { ...snapshot, blocks, contentHash: contentHashOfBlocks(blocks) };
  } finally {
    await handle.close();
  }
}

/** The blocks from the worker pool; undefined when the pool cannot run (the caller hashes on its own thread). */
async function parallelBlocks(absPath: string, before: fs.Stats): Promise<string[] | undefined> {
  let result;
  try {
    result = await hashBlocksInParallel(absPath, before.ino, before.size, BLOCK_SIZE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FileChangingError(absPath); // gone since our own open: it is changing
    if (code === 'EACCES' || code === 'EPERM') throw err;
    return undefined;
  }
  if ('changed' in result) throw new FileChangingError(absPath);
  return result.blocks;
}

/** Files up to this size are hashed with synchronous reads: for small files the async round trips cost more than the read. */
export const SMALL_FILE = 1024 * 1024;

/** hashFile for a small file, without leaving the thread (a few microseconds each); same checks, same result. */
export function hashSmallFileSync(absPath: string, buffer: Buffer): FileHash | null {
  let fd: number;
  try {
    fd = fs.openSync(absPath, READ_NO_FOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new FileChangingError(absPath);
    throw err;
  }
  try {
    const hashedAt = Date.now();
    const before = fs.fstatSync(fd);
    if (!before.isFile()) return null;
    if (before.size > buffer.length) throw new FileChangingError(absPath); // grew past "small": the async path takes it
    let filled = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (n === 0 || filled + n >= buffer.length) {
        filled += n;
        break;
      }
      filled += n;
    }
    const after = fs.statSync(absPath, { throwIfNoEntry: false });
    const snapshot = { size: before.size, mtime: before.mtimeMs, ino: before.ino, ctime: before.ctimeMs, hashedAt };
    if (!after || filled !== before.size || !sameStat(snapshot, after)) throw new FileChangingError(absPath);
    const blocks = filled === 0 ? [] : [createHash('sha256').update(buffer.subarray(0, filled)).digest('hex')];
    return { ...snapshot, blocks, contentHash: contentHashOfBlocks(blocks) };
  } finally {
    fs.closeSync(fd);
  }
}
