// Moving one file's bytes: block-level uploads of what the server lacks, and crash-safe downloads that never overwrite a local edit.
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import {
  BLOCK_SIZE,
  BlockSplitter,
  contentHashOfBlocks,
  MyDropboxError,
  PART_SIZE,
  partHashesOf,
  type ClassifiedError,
  type FileEntry,
} from '@mydropbox/shared';
import { FileChangingError, sameStat, type FileStat } from './hasher';
import { TEMP_PREFIX } from './ignore';
import type { RemoteClient } from './remote';
import type { LocalEntry } from './scanner';
import type { TransferHandle } from './activity';
import { checkParents } from './pathSafety';

/** What a file on disk was when planned (undefined: there was none). */
export type Expected = FileStat | undefined;

/** The local file was edited, created or removed since the plan: skip, the next pass sees the new state. */
export class LocalChangedError extends Error implements ClassifiedError {
  readonly errorClass = 'localChanged';

  constructor(readonly path: string) {
    super(`${path} changed on this computer since the plan`);
    this.name = 'LocalChangedError';
  }
}

export function absolute(folder: string, rel: string): string {
  return path.join(folder, ...rel.split('/'));
}

/**
 * Which blocks the server lacks, asked once for a whole batch of uploads; the first upload to need a block
 * sends it and the others wait for that, so shared blocks cross the network once.
 */
export class BlockClaims {
  private readonly missing = new Set<string>();
  private readonly sending = new Map<string, Promise<void>>();

  static async ask(remote: RemoteClient, hashes: Iterable<string>): Promise<BlockClaims> {
    const claims = new BlockClaims();
    const unique = [...new Set(hashes)];
    // 10,000 hashes are about 670 KB of JSON: under the data server's 1 MB body limit (50,000 got 413 at 100k files).
    for (let i = 0; i < unique.length; i += 10_000) {
      for (const h of await remote.missingBlocks(unique.slice(i, i + 10_000))) claims.missing.add(h);
    }
    return claims;
  }

  /** True when the caller must send `hash` now; otherwise waits for whoever sends it. */
  async claim(hash: string): Promise<boolean> {
    if (this.missing.delete(hash)) return true;
    await this.sending.get(hash);
    return false;
  }

  track(hash: string, sent: Promise<void>): Promise<void> {
    this.sending.set(
      hash,
      sent.catch(() => undefined),
    );
    return sent;
  }

  /** A failed send puts the block back, so the next try sends it. */
  release(hash: string): void {
    this.missing.add(hash);
    this.sending.delete(hash);
  }

  has(hash: string): boolean {
    return this.missing.has(hash);
  }

  isSending(hash: string): boolean {
    return this.sending.has(hash);
  }
}

/** Blocks of one file on the wire at once: the next is read and hashed while the last ones travel and the server stores them. */
const UPLOAD_WINDOW = 3;
/** Missing blocks from which a file goes through an upload session: written once, into the commit's temp file, never staged. */
const SESSION_MIN_BLOCKS = 2;

/**
 * Sends only the blocks the server lacks, each read once and checked against the scan's hash (here, or
 * by the server for upload-session blocks; so a file written meanwhile is never sent half-done), then
 * commits the block list against `baseRev`.
 * A changed block whose old version (`baseBlocks`, the synced index's) the server holds goes as the
 * 64 KiB parts that differ.
 */
export async function uploadFile(
  remote: RemoteClient,
  folder: string,
  rel: string,
  local: LocalEntry,
  baseRev: number | null,
  claims?: BlockClaims,
  baseBlocks?: readonly string[],
  transfer?: TransferHandle,
): Promise<FileEntry> {
  const abs = absolute(folder, rel);
  const blockClaims = claims ?? (await BlockClaims.ask(remote, local.blocks));
  let uploadId: string | undefined;
  if (local.blocks.some((h) => blockClaims.has(h) || blockClaims.isSending(h))) {
    const handle = await fs.promises.open(abs, 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new LocalChangedError(rel) : err;
    });
    uploadId = await openSession(remote, local, blockClaims);
    const sentToSession = new Set<string>();
    const window = Math.min(UPLOAD_WINDOW, local.blocks.length);
    const buffers = Array.from({ length: window }, () => Buffer.allocUnsafe(Math.min(BLOCK_SIZE, Math.max(local.size, 1))));
    const inFlight: (Promise<void> | undefined)[] = new Array(window);
    let failure: unknown;
    let slot = 0;
    try {
      for (let idx = 0; idx < local.blocks.length && failure === undefined; idx++) {
        transfer?.signal.throwIfAborted();
        transfer?.progress(idx * BLOCK_SIZE);
        const hash = local.blocks[idx]!;
        const base = baseBlocks?.[idx];
        const delta = base !== undefined && base !== hash ? base : undefined;
        // A session block is not claimed: another file needing it cannot read it from this file's session, so it sends its own.
        let viaSession = false;
        if (uploadId !== undefined && delta === undefined && blockClaims.has(hash)) {
          if (sentToSession.has(hash)) continue; // the server copies a repeated block from where the session holds it
          viaSession = true;
          sentToSession.add(hash);
        } else if (!(await blockClaims.claim(hash))) continue;
        const release = () => (viaSession ? undefined : blockClaims.release(hash));
        await inFlight[slot]; // its buffer is free once its send is done
        if (failure !== undefined) {
          release();
          break;
        }
        const buf = buffers[slot]!;
        const len = Math.min(BLOCK_SIZE, local.size - idx * BLOCK_SIZE);
        let filled = 0;
        while (filled < len) {
          const { bytesRead } = await handle.read(buf, filled, len - filled, idx * BLOCK_SIZE + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        const data = buf.subarray(0, filled);
        // A session block is not hashed here: the server hashes it on arrival and refuses it unless it is
        // `blocks[idx]` (sessionBlock turns that refusal into "the file is changing"), so a second SHA-256
        // of the same bytes on this side would check nothing more and cost this thread (W2).
        if (filled !== len || (!viaSession && createHash('sha256').update(data).digest('hex') !== hash)) {
          release();
          throw new FileChangingError(abs);
        }
        const sent = viaSession
          ? sessionBlock(remote, uploadId as string, idx, data, abs)
          : blockClaims.track(hash, sendBlock(remote, hash, data, delta));
        inFlight[slot] = sent.catch((err: unknown) => {
          release();
          failure ??= err;
        });
        slot = (slot + 1) % window;
      }
      await Promise.all(inFlight);
      if (failure !== undefined) throw failure;
    } finally {
      await Promise.all(inFlight);
      await handle.close();
    }
  }
  const st = await fs.promises.lstat(abs).catch(() => null);
  if (!st || !sameStat(local, st)) throw new FileChangingError(abs);
  transfer?.signal.throwIfAborted();
  transfer?.progress(local.size);
  return remote.commit({
    path: rel,
    size: local.size,
    blocks: local.blocks,
    baseRev,
    modifiedAt: Math.max(0, Math.round(local.mtime)),
    executable: local.executable === true,
    ...(uploadId !== undefined ? { uploadId } : {}),
  });
}

/**
 * An upload session when at least SESSION_MIN_BLOCKS of the file's blocks must be sent; none (the
 * blocks then go one by one to PUT /v1/blocks) when fewer must, or when the server has too many
 * open or lacks sessions.
 */
async function openSession(remote: RemoteClient, local: LocalEntry, claims: BlockClaims): Promise<string | undefined> {
  if (new Set(local.blocks.filter((h) => claims.has(h))).size < SESSION_MIN_BLOCKS) return undefined;
  try {
    return await remote.openUpload(local.size, local.blocks);
  } catch (err) {
    if (MyDropboxError.is(err, 'not_found') || MyDropboxError.is(err, 'rate_limited')) return undefined;
    throw err;
  }
}

/**
 * Block `index` of an upload session. The server refuses it (`hash_mismatch`) when its bytes are not the
 * scan's hash of that block: the file was written since the scan, so the engine hashes it again
 * (FileChangingError: "local changed") rather than treating it as a server-side change.
 */
async function sessionBlock(remote: RemoteClient, uploadId: string, index: number, data: Buffer, abs: string): Promise<void> {
  try {
    await remote.putUploadBlock(uploadId, index, data);
  } catch (err) {
    if (MyDropboxError.is(err, 'hash_mismatch')) throw new FileChangingError(abs);
    throw err;
  }
}

/**
 * One block: as the parts that differ from `base` when the server holds `base` and that is at most
 * half the block, else whole. The server rebuilds it and checks its SHA-256 either way.
 */
async function sendBlock(remote: RemoteClient, hash: string, data: Buffer, base: string | undefined): Promise<void> {
  if (base !== undefined && data.length > PART_SIZE) {
    try {
      const theirs = await remote.blockParts(base);
      const mine = partHashesOf(data);
      const parts: { index: number; data: Buffer }[] = [];
      for (let i = 0; i * 32 < mine.length; i++) {
        if (i * 32 + 32 > theirs.length || mine.compare(theirs, i * 32, i * 32 + 32, i * 32, i * 32 + 32) !== 0) {
          parts.push({ index: i, data: data.subarray(i * PART_SIZE, (i + 1) * PART_SIZE) });
        }
      }
      if (parts.length * PART_SIZE <= data.length / 2) {
        await remote.putBlockDelta(hash, base, data.length, parts);
        return;
      }
    } catch (err) {
      // The old block is gone, or the rebuilt one did not match: send the whole block instead.
      if (!MyDropboxError.is(err, 'block_missing') && !MyDropboxError.is(err, 'hash_mismatch') && !MyDropboxError.is(err, 'not_found'))
        throw err;
    }
  }
  await remote.putBlock(hash, data);
}

/** Throws LocalChangedError unless the file at `abs` is still what the plan saw. */
export async function checkUnchanged(abs: string, rel: string, expected: Expected): Promise<void> {
  const st = await fs.promises.lstat(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (expected === undefined ? st !== null : !st || !sameStat(expected, st)) throw new LocalChangedError(rel);
}

export interface Downloaded extends FileStat {
  blocks: string[];
  contentHash: string;
  executable?: boolean;
}

/** Read and write for whoever may read, and run for whoever may read when `executable` (the umask's choice of readers kept). */
function modeFor(current: number, executable: boolean): number {
  const perms = current & 0o777;
  return executable ? perms | ((perms & 0o444) >> 2) : perms & ~0o111;
}

/**
 * The server changed only the executable bit of a file that is here as planned: set on the file itself
 * (checked to be what the plan saw first), no bytes fetched. Returns its new entry.
 */
export async function setExecutable(folder: string, rel: string, expected: LocalEntry, executable: boolean): Promise<Downloaded> {
  const abs = absolute(folder, rel);
  await checkParents(folder, rel, false);
  await checkUnchanged(abs, rel, expected);
  const before = await fs.promises.lstat(abs);
  await fs.promises.chmod(abs, modeFor(before.mode, executable));
  const st = await fs.promises.lstat(abs);
  // The chmod moved the ctime only; size, mtime and inode still say the content is the one planned.
  if (st.size !== expected.size || st.mtimeMs !== expected.mtime || st.ino !== expected.ino) throw new LocalChangedError(rel);
  return {
    size: st.size,
    mtime: st.mtimeMs,
    ino: st.ino,
    ctime: st.ctimeMs,
    hashedAt: expected.hashedAt ?? Date.now(),
    blocks: expected.blocks,
    contentHash: expected.contentHash,
    ...(executable ? { executable: true } : {}),
  };
}

/**
 * Writes a file the crash-safe way: a temp file beside the target, hashed while written and checked
 * against the expected content hash, fsynced, then renamed over the target only if the target is still
 * what the plan saw. `source` gives the bytes: the server, or a local file with the same content.
 */
export async function writeFileSafely(
  folder: string,
  rel: string,
  source: AsyncIterable<Uint8Array>,
  want: { contentHash: string; size?: number; modifiedAt?: number; executable?: boolean },
  expected: Expected,
): Promise<Downloaded> {
  const abs = absolute(folder, rel);
  const dir = path.dirname(abs);
  // Every folder above the target is a real folder inside the synced one (made here if missing): never written through a link.
  await checkParents(folder, rel, true);
  const tmp = path.join(dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
  const handle = await fs.promises.open(tmp, 'wx', 0o644);
  let renamed = false;
  try {
    const blocks: string[] = [];
    let hasher = createHash('sha256');
    const splitter = new BlockSplitter(
      (bytes) => hasher.update(bytes),
      () => {
        blocks.push(hasher.digest('hex'));
        hasher = createHash('sha256');
      },
    );
    for await (const chunk of source) {
      await splitter.push(chunk);
      await handle.write(chunk);
      // More bytes than the entry said: not the content we want, and maybe no end to it.
      if (want.size !== undefined && splitter.size > want.size)
        throw new MyDropboxError('hash_mismatch', `The server sent more bytes for "${rel}" than the file has; it changed meanwhile.`);
    }
    await splitter.finish();
    const contentHash = contentHashOfBlocks(blocks);
    if (contentHash !== want.contentHash) {
      throw new MyDropboxError('hash_mismatch', `The bytes received for "${rel}" do not match the expected content; it changed meanwhile.`);
    }
    await handle.sync();
    if (want.modifiedAt !== undefined) {
      const when = new Date(want.modifiedAt);
      await handle.utimes(when, when);
    }
    if (want.executable) await handle.chmod(modeFor((await handle.stat()).mode, true));
    await handle.close();
    await checkUnchanged(abs, rel, expected);
    await fs.promises.rename(tmp, abs);
    renamed = true;
    await fsyncDirIfSupported(dir);
    const hashedAt = Date.now();
    const st = await fs.promises.lstat(abs);
    return {
      size: splitter.size,
      mtime: st.mtimeMs,
      ino: st.ino,
      ctime: st.ctimeMs,
      hashedAt,
      blocks,
      contentHash,
      ...(want.executable ? { executable: true } : {}),
    };
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await fs.promises.rm(tmp, { force: true });
    }
  }
}

/**
 * Makes a rename durable where the file system can; some refuse to open a directory for this, which is harmless.
 * The data server's fsyncDir throws instead: a commit it has answered must survive a crash.
 */
async function fsyncDirIfSupported(dir: string): Promise<void> {
  const h = await fs.promises.open(dir, 'r').catch(() => null);
  if (!h) return;
  try {
    await h.sync();
  } catch {
    // not supported here
  } finally {
    await h.close();
  }
}

/** Reads a local file as a stream of chunks, for a download served from a local copy with the same content. */
export async function* readLocal(abs: string): AsyncIterable<Uint8Array> {
  const handle = await fs.promises.open(abs, 'r');
  try {
    const buf = Buffer.allocUnsafe(BLOCK_SIZE);
    for (let off = 0; ;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, off);
      if (bytesRead === 0) return;
      off += bytesRead;
      yield Buffer.from(buf.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

/**
 * Deletes a local file the server deleted, if it is still what was synced, and folders left empty by it
 * (as the server's implied folders go with their last file), except those `keep` names (folders the server has as folders of their own).
 */
export async function deleteLocalFile(folder: string, rel: string, expected: Expected, keep?: (dirRel: string) => boolean): Promise<void> {
  const abs = absolute(folder, rel);
  if (!(await checkParents(folder, rel, false))) return; // a folder above it is gone: so is the file
  await checkUnchanged(abs, rel, expected).catch((err) => {
    if (err instanceof LocalChangedError && expected !== undefined) {
      return fs.promises.lstat(abs).then(
        () => Promise.reject(err),
        () => undefined, // already gone: nothing to do
      );
    }
    throw err;
  });
  await fs.promises.rm(abs, { force: true });
  for (let dir = path.dirname(abs); dir.startsWith(folder) && dir !== folder; dir = path.dirname(dir)) {
    if (keep?.(path.relative(folder, dir).split(path.sep).join('/'))) break;
    try {
      await fs.promises.rmdir(dir);
    } catch {
      break; // not empty (or not ours to remove)
    }
  }
}
