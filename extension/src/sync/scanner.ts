// Walks the sync folder into the local tree, re-hashing only files whose size, mtime or inode moved since the index saw them.
import fs from 'node:fs';
import path from 'node:path';
import { isValidPath, normalizePath } from '@mydropbox/shared';
import {
  FileChangingError,
  hashFile,
  hashSmallFileSync,
  SMALL_FILE,
  statOf,
  trustStat,
  type FileHash,
  type FileStat,
  type StatLike,
} from './hasher';
import { TEMP_PREFIX, type IgnoreRules } from './ignore';
import type { TreeEntry } from './planner';
import { CompactTree, type CompactEntry } from './compactTree';
import { LocalTree } from './localTree';
import { KIND, openLister, STAT_FIELDS } from './dirLister';
import { describeLocal, type NotSyncedItem } from './notSynced';

/** A file as it is on disk now. */
export interface LocalEntry extends TreeEntry, FileStat {
  size: number;
  mtime: number;
  ino: number;
  contentHash: string;
  blocks: string[];
}

export interface ScanResult {
  /** The files found, as an overlay on `HashHint.base`: an unchanged file is a mark on its index entry. */
  files: LocalTree;
  /** Files that could not be read consistently now (being written): leave them out of this pass. */
  unsettled: Set<string>;
  /** What is not synced and why: links, special files, unreadable files and folders, names the server cannot store. */
  skipped: NotSyncedItem[];
  /** Our own temp files left by a download a crash cut short. */
  strayTemps: string[];
  /** The folders found (relative; ignored ones left out), each below a folder listed before it. */
  folders: string[];
  hashed: number;
}

export interface HashHint {
  get(p: string): (FileStat & { contentHash: string; blocks: string[] }) | undefined;
  /** An equal path string already held elsewhere (the synced index), to store it once. */
  canonical?(p: string): string | undefined;
  /** Records the known entry of `p` in `into` if its stat is `st`'s (the no-change case, without building entries). */
  reuse?(p: string, st: StatLike, into: LocalTree): boolean;
  /** About how many files to expect (the index's size): a big tree is listed on worker threads. */
  expected?: number;
  /** The synced index's tree, which the result overlays. */
  base?: CompactTree<CompactEntry>;
  /**
   * Called for each folder (relative, '' for the top) just before it is read: the watcher watches it
   * here, so the daemon's start walks the tree once, not once for the watcher and once for the scan,
   * and a file added after the read is still reported.
   */
  beforeReading?(dirRel: string): void;
}

/** Big files hash in parallel, one core each. */
const HASH_CONCURRENCY = 2;

/** The local state of one file: reuse the index's hash when the stat says nothing changed. */
export async function statAndHash(absPath: string, hint: ReturnType<HashHint['get']>): Promise<FileHash | null> {
  if (hint) {
    const st = await fs.promises.lstat(absPath).catch(() => null);
    if (!st || !st.isFile()) return null;
    if (trustStat(hint, st)) return { ...statOf(hint), contentHash: hint.contentHash, blocks: hint.blocks };
  }
  return hashFile(absPath);
}

/** Yield to the event loop this often while walking, so the watcher and timers keep running during a big scan. */
const YIELD_EVERY = 2000;

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Walks the folder with readdir/lstat of whole folders (dirLister.ts: on this thread, or on two workers
 * for a big tree) and compares each file's stat with what it was, then hashes what changed: small
 * files synchronously, big ones with async reads in parallel.
 */
export async function scanFolder(folder: string, rules: IgnoreRules, hint: HashHint): Promise<ScanResult> {
  const files = new LocalTree(hint.base ?? new CompactTree<CompactEntry>());
  const result: ScanResult = {
    files,
    unsettled: new Set(),
    skipped: [],
    strayTemps: [],
    folders: [],
    hashed: 0,
  };
  const toHash: { rel: string; abs: string; size: number; executable: boolean }[] = [];
  const folders: { abs: string; rel: string }[] = [];
  const lister = openLister(hint.expected ?? 0);
  const submit = (abs: string, rel: string) => {
    // Watched before it is read, so a file added after the listing is still reported.
    hint.beforeReading?.(rel);
    // Joined by hand from here on: path.join normalizes every one of 100,000 paths, and these are
    // normal already (the folder is resolved, a name from readdir has no separator).
    folders.push({ abs: abs.endsWith(path.sep) ? abs : abs + path.sep, rel });
    lister.submit(folders.at(-1)!.abs, folders.length - 1);
  };
  const waiting: { abs: string; rel: string }[] = []; // found, not yet submitted (depth first, as the lister has room)
  let seen = 0;
  try {
    waiting.push({ abs: folder, rel: '' });
    while (waiting.length > 0 || lister.pending > 0) {
      while (waiting.length > 0 && lister.canTake) {
        const next = waiting.pop()!;
        submit(next.abs, next.rel);
      }
      const { tag, result: listing } = await lister.next();
      const { abs: prefix, rel: dirRel } = folders[tag]!;
      if ('error' in listing) {
        // The top folder unreadable is not "empty": that would read as every file deleted.
        if (dirRel !== '' && (listing.code === 'ENOENT' || listing.code === 'ENOTDIR')) continue;
        if (dirRel !== '' && (listing.code === 'EACCES' || listing.code === 'EPERM' || listing.code === 'EBUSY')) {
          result.skipped.push({ path: dirRel, reason: 'unreadable', message: describeLocal('unreadable') });
          continue;
        }
        throw Object.assign(new Error(listing.error), { code: listing.code });
      }
      const { names, stats } = listing;
      for (let i = 0; i < names.length; i++) {
        if (++seen % YIELD_EVERY === 0) await yieldNow();
        const name = names[i]!;
        const kind = stats[i * STAT_FIELDS];
        const rel = dirRel ? `${dirRel}/${name}` : name;
        if (kind === KIND.gone) continue; // removed since the listing
        if (kind === KIND.dir) {
          if (!rules.ignores(rel, true)) {
            waiting.push({ abs: prefix + name, rel });
            result.folders.push(rel);
          }
          continue;
        }
        if (kind !== KIND.file && kind !== KIND.executable) {
          // Symbolic links and special files are not synced (following them could leave the folder), but said so.
          if (!rules.ignores(rel) && !rules.ignores(rel, true))
            result.skipped.push(
              kind === KIND.link
                ? { path: rel, reason: 'symlink', message: describeLocal('symlink') }
                : kind === KIND.denied
                  ? { path: rel, reason: 'unreadable', message: describeLocal('unreadable') }
                  : { path: rel, reason: 'special', message: describeLocal('special') },
            );
          continue;
        }
        const abs = prefix + name;
        if (name.startsWith(TEMP_PREFIX)) result.strayTemps.push(abs);
        if (rules.ignoresFile(rel, name)) continue;
        const at = i * STAT_FIELDS;
        const st = { size: stats[at + 1]!, mtimeMs: stats[at + 2]!, ino: stats[at + 3]!, ctimeMs: stats[at + 4]! };
        // A path the index or the last scan holds was validated when it got there: only new names are checked.
        if (hint.reuse?.(rel, st, result.files)) continue;
        const h = hint.get(rel);
        if (!h && (!isValidPath(rel) || rel.normalize('NFC') !== rel)) {
          result.skipped.push({ path: rel, reason: 'badName', message: describeLocal('badName', nameProblem(rel)) });
          continue;
        }
        const executable = kind === KIND.executable;
        if (h && trustStat(h, st))
          result.files.set(rel, { ...statOf(h), contentHash: h.contentHash, blocks: h.blocks, ...(executable ? { executable } : {}) });
        else toHash.push({ rel, abs, size: st.size, executable });
      }
    }
  } finally {
    await lister.close();
  }

  const small = toHash.filter((f) => f.size <= SMALL_FILE);
  const big = toHash.filter((f) => f.size > SMALL_FILE);
  const settle = (rel: string, err: unknown) => {
    if (err instanceof FileChangingError) result.unsettled.add(rel);
    else if (isAccessError(err)) result.skipped.push({ path: rel, reason: 'unreadable', message: describeLocal('unreadable') });
    else throw err;
  };
  const smallBuffer = Buffer.allocUnsafe(SMALL_FILE);
  for (let i = 0; i < small.length; i++) {
    if (i % 500 === 499) await yieldNow();
    const { rel, abs, executable } = small[i]!;
    try {
      const h = hashSmallFileSync(abs, smallBuffer);
      result.hashed++;
      if (h) result.files.set(rel, executable ? { ...h, executable } : h);
    } catch (err) {
      settle(rel, err);
    }
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(HASH_CONCURRENCY, big.length) }, async () => {
      const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
      while (next < big.length) {
        const { rel, abs, executable } = big[next++]!;
        try {
          const h = await hashFile(abs, buffer);
          result.hashed++;
          if (h) result.files.set(rel, executable ? { ...h, executable } : h);
        } catch (err) {
          settle(rel, err);
        }
      }
    }),
  );
  return result;
}

/** Why a local name cannot go to the server, in words. */
export function nameProblem(rel: string): string {
  try {
    return normalizePath(rel) !== rel ? 'its letters are not in the normal (NFC) form the server stores' : 'not valid';
  } catch (err) {
    return (err as Error).message;
  }
}

export function isAccessError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' || code === 'EBUSY';
}
