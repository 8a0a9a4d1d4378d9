// Small files go up together: their blocks in a few batch bodies, their commits in batches, so a thousand files cost a handful of requests.
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { BLOCK_BATCH_MAX_BYTES, BLOCK_SIZE, COMMIT_BATCH_MAX, MyDropboxError, type FileEntry } from '@mydropbox/shared';
import { FileChangingError, sameStat } from './hasher';
import type { RemoteClient } from './remote';
import type { LocalEntry } from './scanner';
import { absolute, LocalChangedError, type BlockClaims } from './transfer';

/** Files of at most one block this size go in batches; bigger ones stream block by block. */
export const SMALL_FILE_BYTES = 1024 * 1024;
/** Files read at once: small reads are bound by system calls, so a few in flight hide their latency. */
const READ_WIDTH = 16;
const FRAME_HEADER = 36;

export interface SmallUpload {
  path: string;
  local: LocalEntry;
  baseRev: number | null;
}

/** What became of each file: its new server entry, or the error to sort (conflict, quota, changed here…). */
export type SmallResult = { path: string; file: FileEntry } | { path: string; error: unknown };

export function isSmall(local: LocalEntry): boolean {
  return local.size <= SMALL_FILE_BYTES && local.blocks.length <= 1;
}

interface PendingBatch {
  blocks: { hash: string; data: Buffer }[];
  bytes: number;
  paths: string[];
}

/**
 * Reads each file once and checks it against the scan's hash (a file written meanwhile is never sent
 * half-done), sends the blocks the server lacks in bodies of up to BLOCK_BATCH_MAX_BYTES, then commits
 * every file whose bytes arrived, COMMIT_BATCH_MAX at a time.
 */
export async function uploadSmallFiles(
  remote: RemoteClient,
  folder: string,
  items: readonly SmallUpload[],
  claims: BlockClaims,
): Promise<SmallResult[]> {
  const results: SmallResult[] = [];
  const failed = new Map<string, unknown>();
  const ready: SmallUpload[] = [];
  const sends: Promise<void>[] = [];
  let batch: PendingBatch = { blocks: [], bytes: 0, paths: [] };
  const flush = () => {
    if (batch.blocks.length === 0) return;
    const b = batch;
    batch = { blocks: [], bytes: 0, paths: [] };
    const sent = remote.putBlockBatch(b.blocks);
    for (const { hash } of b.blocks) void claims.track(hash, sent).catch(() => undefined);
    sends.push(
      sent.catch((err: unknown) => {
        for (const { hash } of b.blocks) claims.release(hash);
        for (const p of b.paths) failed.set(p, err);
      }),
    );
  };

  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(READ_WIDTH, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        const mine: string[] = [];
        try {
          for (const hash of new Set(item.local.blocks)) if (await claims.claim(hash)) mine.push(hash);
          const data = readChecked(folder, item.path, item.local, mine.length > 0);
          if (data) {
            batch.blocks.push({ hash: item.local.blocks[0]!, data });
            batch.bytes += FRAME_HEADER + data.length;
            batch.paths.push(item.path);
            if (batch.bytes + FRAME_HEADER + BLOCK_SIZE > BLOCK_BATCH_MAX_BYTES) flush();
          }
          ready.push(item);
        } catch (err) {
          for (const hash of mine) claims.release(hash);
          results.push({ path: item.path, error: err });
        }
      }
    }),
  );
  flush();
  await Promise.all(sends);

  const toCommit = ready.filter((i) => !failed.has(i.path));
  for (const [p, err] of failed) results.push({ path: p, error: err });
  for (let i = 0; i < toCommit.length; i += COMMIT_BATCH_MAX) {
    const part = toCommit.slice(i, i + COMMIT_BATCH_MAX);
    let answers;
    try {
      answers = await remote.commitBatch(
        part.map((u) => ({
          path: u.path,
          size: u.local.size,
          blocks: u.local.blocks,
          baseRev: u.baseRev,
          modifiedAt: Math.max(0, Math.round(u.local.mtime)),
          executable: u.local.executable === true,
        })),
      );
    } catch (err) {
      for (const u of part) results.push({ path: u.path, error: err });
      continue;
    }
    part.forEach((u, k) => {
      const a = answers[k];
      if (a && 'file' in a) results.push({ path: u.path, file: a.file });
      else
        results.push({
          path: u.path,
          error: a
            ? new MyDropboxError(a.error.code, a.error.message, a.error.details)
            : new MyDropboxError('internal', 'The server answered fewer results than commits.'),
        });
    });
  }
  return results;
}

/**
 * The file's bytes when `needBytes`, checked against the scan's hash and stat; the stat alone otherwise.
 * Synchronous, like the scan's reads of small files: at most 1 MiB from the page cache costs less
 * than the five trips through libuv's pool (four threads) the promise calls take (W1).
 */
function readChecked(folder: string, rel: string, local: LocalEntry, needBytes: boolean): Buffer | undefined {
  const abs = absolute(folder, rel);
  let data: Buffer | undefined;
  if (needBytes) {
    try {
      data = fs.readFileSync(abs);
    } catch (err) {
      throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? new LocalChangedError(rel) : err;
    }
    if (data.length !== local.size || createHash('sha256').update(data).digest('hex') !== local.blocks[0]) throw new FileChangingError(abs);
  }
  const st = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (!st || !sameStat(local, st)) throw new FileChangingError(abs);
  return data;
}
