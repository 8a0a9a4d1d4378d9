// Walks the sync folder into the local tree, re-hashing only files whose size, mtime or inode moved since the index saw them.
import fs from 'node:fs';
import path from 'node:path';
import { isValidPath } from '@mydropbox/shared';
import { FileChangingError, hashFile, sameStat, type FileHash } from './hasher';
import { TEMP_PREFIX, type IgnoreRules } from './ignore';
import type { TreeEntry } from './planner';

/** A file as it is on disk now. */
export interface LocalEntry extends TreeEntry {
  size: number;
  mtime: number;
  ino: number;
  contentHash: string;
  blocks: string[];
}

export interface ScanResult {
  files: Map<string, LocalEntry>;
  /** Files that could not be read consistently now (being written, unreadable): leave them out of this pass. */
  unsettled: Set<string>;
  /** Names that cannot be synced as they are (control characters, backslashes, not NFC, too long). */
  skipped: string[];
  /** Our own temp files left by a download a crash cut short. */
  strayTemps: string[];
  hashed: number;
}

export interface HashHint {
  get(p: string): { size: number; mtime: number; ino: number; contentHash: string; blocks: string[] } | undefined;
}

/** Hashes in parallel: small files are bound by system calls, big ones by one core each. */
const HASH_CONCURRENCY = 4;

/** The local state of one file: reuse the index's hash when the stat says nothing changed. */
export async function statAndHash(absPath: string, hint: ReturnType<HashHint['get']>): Promise<FileHash | null> {
  if (hint) {
    const st = await fs.promises.lstat(absPath).catch(() => null);
    if (!st || !st.isFile()) return null;
    if (sameStat(hint, st))
      return { size: hint.size, mtime: hint.mtime, ino: hint.ino, contentHash: hint.contentHash, blocks: hint.blocks };
  }
  return hashFile(absPath);
}

export async function scanFolder(folder: string, rules: IgnoreRules, hint: HashHint): Promise<ScanResult> {
  const result: ScanResult = { files: new Map(), unsettled: new Set(), skipped: [], strayTemps: [], hashed: 0 };
  const toHash: { rel: string; abs: string }[] = [];

  async function walk(dirAbs: string, dirRel: string): Promise<void> {
    let dirents: fs.Dirent[];
    try {
      dirents = await fs.promises.readdir(dirAbs, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw err;
    }
    const pending: Promise<void>[] = [];
    for (const d of dirents) {
      const rel = dirRel ? `${dirRel}/${d.name}` : d.name;
      const abs = path.join(dirAbs, d.name);
      if (d.isDirectory()) {
        if (rules.ignores(rel, true)) continue;
        pending.push(walk(abs, rel));
      } else if (d.isFile()) {
        if (d.name.startsWith(TEMP_PREFIX)) result.strayTemps.push(abs);
        if (rules.ignores(rel)) continue;
        if (!isValidPath(rel) || rel.normalize('NFC') !== rel) {
          result.skipped.push(rel);
          continue;
        }
        const h = hint.get(rel);
        if (!h) {
          toHash.push({ rel, abs });
          continue;
        }
        pending.push(
          fs.promises.lstat(abs).then(
            (st) => {
              if (st.isFile() && sameStat(h, st)) {
                result.files.set(rel, { size: h.size, mtime: h.mtime, ino: h.ino, contentHash: h.contentHash, blocks: h.blocks });
              } else toHash.push({ rel, abs });
            },
            () => undefined, // gone since readdir
          ),
        );
      }
      // Symbolic links and special files are not synced: following them could leave the folder.
    }
    await Promise.all(pending);
  }

  await walk(folder, '');
  const buffers = Array.from({ length: HASH_CONCURRENCY }, () => Buffer.allocUnsafe(4 * 1024 * 1024));
  let next = 0;
  await Promise.all(
    buffers.map(async (buffer) => {
      while (next < toHash.length) {
        const { rel, abs } = toHash[next++]!;
        try {
          const h = await hashFile(abs, buffer);
          result.hashed++;
          if (h) result.files.set(rel, h);
        } catch (err) {
          if (err instanceof FileChangingError || isAccessError(err)) result.unsettled.add(rel);
          else throw err;
        }
      }
    }),
  );
  return result;
}

function isAccessError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' || code === 'EBUSY';
}
