// The check that a data server's rows and files agree: every live row's file exists with its size (and, in the full
// check, its content hash), and no file lacks a row. Run at every start (sizes only) and by `fsck` (hashes too).
import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { BLOCK_SIZE, contentHashOfBlocks } from '@mydropbox/shared';
import type { FileEntry } from '@mydropbox/shared';
import type { FilesRepository } from '../store/filesRepository';
import type { UserFiles } from '../store/userFiles';
import type { Assembler } from './assembler';
import { inParallel } from '../inParallel';

export type Problem = 'missing' | 'size' | 'hash';

export interface ConsistencyReport {
  /** Live rows looked at. */
  rows: number;
  /** Files with no live row (`<owner>/<path>`): removed when repairing, else only listed. */
  orphans: string[];
  /** Rows whose file was wrong and was rebuilt from the same blocks held elsewhere (other files, staged uploads, versions). */
  repaired: { owner: string; path: string; problem: Problem }[];
  /** Rows whose file is wrong and could not be rebuilt: left as they are (their downloads fail cleanly), for a person to look at. */
  damaged: { owner: string; path: string; problem: Problem }[];
}

export interface CheckDeps {
  files: FilesRepository;
  disk: UserFiles;
  assembler: Assembler;
}

/**
 * `hashes`: read every file and compare its content hash too (fsck); else sizes only (every start).
 * `repair`: remove orphans and rebuild what can be rebuilt. Repairs change files under live rows, so
 * they run only while nothing else writes: before the server accepts requests, or with it stopped.
 */
export async function checkConsistency(d: CheckDeps, opts: { hashes: boolean; repair: boolean }): Promise<ConsistencyReport> {
  const report: ConsistencyReport = { rows: 0, orphans: [], repaired: [], damaged: [] };
  const owners = new Set([...(await d.files.owners()), ...(await userFolders(d.disk.base))]);
  for (const owner of [...owners].sort()) {
    const rows = new Map((await d.files.listLive(owner)).map((r) => [r.path, r]));
    report.rows += rows.size;
    const userDir = d.disk.userDir(owner);
    for (const rel of await filesBelow(userDir)) {
      if (rows.has(rel)) continue;
      report.orphans.push(`${owner}/${rel}`);
      // Only the file: an empty folder may be one a person made (WebDAV), and costs nothing.
      if (opts.repair) await fs.rm(d.disk.abs(owner, rel), { force: true });
    }
    await inParallel([...rows.values()], 8, async (row) => {
      const problem = await problemOf(d.disk.abs(owner, row.path), row, opts.hashes);
      if (!problem) return;
      if (opts.repair && (await rebuild(d, owner, row))) report.repaired.push({ owner, path: row.path, problem });
      else report.damaged.push({ owner, path: row.path, problem });
    });
  }
  return report;
}

/** What is wrong with the file of `row` at `abs`, or undefined if nothing. */
async function problemOf(abs: string, row: FileEntry, hashes: boolean): Promise<Problem | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return 'missing';
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return 'missing';
    if (st.size !== row.size) return 'size';
    if (hashes && (await contentHashOf(handle, row.size)) !== row.contentHash) return 'hash';
    return undefined;
  } finally {
    await handle.close();
  }
}

/** The content hash of an open file, read block by block (a 1 GiB file is never held in memory). */
export async function contentHashOf(handle: fs.FileHandle, size: number): Promise<string> {
  const buf = Buffer.allocUnsafe(Math.min(BLOCK_SIZE, Math.max(size, 1)));
  const blocks: string[] = [];
  for (let at = 0; at < size; at += BLOCK_SIZE) {
    const want = Math.min(BLOCK_SIZE, size - at);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await handle.read(buf, got, want - got, at + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    blocks.push(createHash('sha256').update(buf.subarray(0, got)).digest('hex'));
  }
  return contentHashOfBlocks(blocks);
}

/** Rebuilds the file of `row` from its blocks wherever they are still held intact (each verified); false if some block is nowhere. */
async function rebuild(d: CheckDeps, owner: string, row: FileEntry): Promise<boolean> {
  try {
    const blocks = await d.files.blocksOf(owner, row.path);
    const sources = await d.assembler.locate(owner, blocks);
    const tempPath = await d.assembler.build(owner, row.size, blocks, sources);
    await d.disk.ensureParent(owner, row.path);
    await d.disk.publish(tempPath, owner, row.path);
    return true;
  } catch {
    return false;
  }
}

/** Users' folders under the server's base (names starting with '.' are the server's own: temp, staging, journal, versions). */
async function userFolders(base: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(base, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every non-folder below `dir` (files, and links no commit makes), as '/'-separated paths relative to it. */
async function filesBelow(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries.filter((e) => !e.isDirectory()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}
