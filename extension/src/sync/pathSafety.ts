// Paths the engine may touch: every folder above a local write is a real folder inside the synced one, and every server entry is checked before it is believed.
import fs from 'node:fs';
import path from 'node:path';
import { normalizePath } from '@mydropbox/shared';

/** A folder above the path is a symbolic link (or not a folder): the write is refused, the rest syncs on. */
export class UnsafeLocalPathError extends Error {
  constructor(
    readonly path: string,
    readonly at: string,
    readonly what: string,
  ) {
    super(`"${at}" is ${what}; MyDropbox never writes through a link, so "${path}" is not synced here`);
    this.name = 'UnsafeLocalPathError';
  }
}

/**
 * Checks (lstat, never following) that every folder above `rel` is a real folder inside `folder`,
 * making missing ones when `make` (one level at a time, each checked after it is made). Returns false
 * when one is missing and not made (so nothing below it exists). Throws UnsafeLocalPathError for a
 * link or a non-folder. The top folder itself may be a link the person made (to another disk).
 */
export async function checkParents(folder: string, rel: string, make: boolean): Promise<boolean> {
  const parts = rel.split('/');
  parts.pop();
  let abs = folder;
  let at = '';
  for (const part of parts) {
    abs = path.join(abs, part);
    at = at ? `${at}/${part}` : part;
    let st = await lstatOrNull(abs);
    if (!st) {
      if (!make) return false;
      await fs.promises.mkdir(abs).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      st = await lstatOrNull(abs);
      if (!st) return false;
    }
    if (st.isSymbolicLink()) throw new UnsafeLocalPathError(rel, at, 'a symbolic link');
    if (!st.isDirectory()) throw new UnsafeLocalPathError(rel, at, 'not a folder');
  }
  return true;
}

async function lstatOrNull(abs: string): Promise<fs.Stats | null> {
  return fs.promises.lstat(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * What is wrong with a file entry from the server (a listing, a change, a meta answer), in words, or
 * undefined when it can be believed: a valid, normalised relative path, a size, a SHA-256, a revision.
 * A deleted change needs only its path and revision.
 */
export function serverEntryProblem(e: unknown, deleted = false): string | undefined {
  if (typeof e !== 'object' || e === null) return 'the server sent something that is not a file entry';
  const { path: p, size, contentHash, rev, modifiedAt, executable } = e as Record<string, unknown>;
  if (typeof p !== 'string') return 'the server sent a path that is not text';
  try {
    if (normalizePath(p) !== p) return 'the server sent a path that is not in its normal (NFC) form';
  } catch (err) {
    return `the server sent an unsafe path: ${(err as Error).message}`;
  }
  if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < 1) return 'the server sent an entry without a valid revision';
  if (deleted) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return 'the server sent an entry without a valid size';
  if (typeof contentHash !== 'string' || !SHA256_HEX.test(contentHash)) return 'the server sent an entry without a valid content hash';
  if (modifiedAt !== undefined && (typeof modifiedAt !== 'number' || !Number.isFinite(modifiedAt)))
    return 'the server sent an entry with an invalid time';
  if (executable !== undefined && typeof executable !== 'boolean') return 'the server sent an entry with an invalid executable bit';
  return undefined;
}
