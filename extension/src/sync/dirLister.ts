// Lists folders with each entry's lstat (kind, size, mtime, inode): on this thread, or for a big tree on worker threads (W6 restart).
//
// A restart over 100,000 unchanged files is lstat-bound (~60 % of the pass in a profile). Two workers
// each readdir and lstat whole folders while this thread compares what they found with the index: in
// a probe over 100,000 files, 370-460 ms on one thread against 260-300 ms with two workers (startup
// included). The workers are plain JavaScript evaluated from a string, so they run the same from the
// TypeScript sources and from the bundled daemon, and they are stopped when the scan ends.
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { absolute } from './transfer';

/** What an entry is, as the scan needs it. */
export const KIND = { gone: -1, denied: -2, other: 0, file: 1, dir: 2, link: 3, executable: 4 } as const;

/** Numbers per entry in `Listing.stats`. */
export const STAT_FIELDS = 5;

/** One folder: `names[i]` has kind `stats[5i]` (a file is `file`, or `executable` when its owner may run it) and, for a file, size, mtime (ms), inode and ctime (ms) at `5i+1..5i+4`. */
export interface Listing {
  names: string[];
  stats: Float64Array;
}

/** The folder itself could not be read (`code`: ENOENT, ENOTDIR, EACCES, …). */
export type ListResult = Listing | { error: string; code?: string };

/**
 * readdir + lstat of every entry of `dir` (which ends with the path separator). One source for both
 * sides: the workers evaluate it, and this thread builds its own copy from it, so they cannot drift.
 */
const LIST_SOURCE = `
function listSync(fs, KIND, dir) {
  let names;
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    return { error: String(err && err.message), code: err && err.code };
  }
  const stats = new Float64Array(names.length * 5);
  for (let i = 0; i < names.length; i++) {
    let st;
    try {
      st = fs.lstatSync(dir + names[i], { throwIfNoEntry: false });
    } catch (err) {
      const code = err && err.code;
      if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EBUSY' && code !== 'ENOTDIR') return { error: String(err.message), code };
      stats[i * 5] = KIND.denied;
      continue;
    }
    if (!st) stats[i * 5] = KIND.gone;
    else if (st.isFile()) {
      stats[i * 5] = st.mode & 0o100 ? KIND.executable : KIND.file;
      stats[i * 5 + 1] = st.size;
      stats[i * 5 + 2] = st.mtimeMs;
      stats[i * 5 + 3] = st.ino;
      stats[i * 5 + 4] = st.ctimeMs;
    } else stats[i * 5] = st.isDirectory() ? KIND.dir : st.isSymbolicLink() ? KIND.link : KIND.other;
  }
  return { names, stats };
}`;

// The same function as the workers run (see LIST_SOURCE); built once, not per call.
const listWith = new Function(`${LIST_SOURCE}; return listSync;`)() as (f: typeof fs, kind: typeof KIND, dir: string) => ListResult;
const listSync = (dir: string): ListResult => listWith(fs, KIND, dir);

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const KIND = ${JSON.stringify(KIND)};
${LIST_SOURCE}
parentPort.on('message', ({ id, dir }) => {
  const r = listSync(fs, KIND, dir);
  parentPort.postMessage({ id, r }, r.stats ? [r.stats.buffer] : []);
});
`;

/** Lists folders one at a time on this thread. */
export interface DirLister {
  /** Starts listing `dir` (ending with the separator); `next` hands the results back in some order. */
  submit(dir: string, tag: number): void;
  /** Folders submitted and not yet handed back. */
  readonly pending: number;
  /** Whether another folder may be submitted now (bounded so the lists in flight stay small). */
  readonly canTake: boolean;
  /** How many folders a worker listed (the rest were listed on this thread). */
  readonly fromWorkers: number;
  next(): Promise<{ tag: number; result: ListResult }>;
  close(): Promise<void>;
}

class SyncLister implements DirLister {
  readonly fromWorkers = 0;
  private readonly queue: { dir: string; tag: number }[] = [];
  get pending(): number {
    return this.queue.length;
  }
  get canTake(): boolean {
    return this.queue.length === 0;
  }
  submit(dir: string, tag: number): void {
    this.queue.push({ dir, tag });
  }
  next(): Promise<{ tag: number; result: ListResult }> {
    const { dir, tag } = this.queue.shift()!;
    return Promise.resolve({ tag, result: listSync(dir) });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Folders in flight per worker: one being listed, one waiting, so a worker never idles on a round trip. */
const PER_WORKER = 2;

class WorkerLister implements DirLister {
  private readonly dirs = new Map<number, string>(); // in flight: tag -> folder, to list here if a worker fails
  private readonly done: { tag: number; result: ListResult }[] = [];
  fromWorkers = 0;
  private wake: (() => void) | undefined;
  private failed = false;
  private nextWorker = 0;

  constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', ({ id, r }: { id: number; r: ListResult }) => this.settle(id, r));
      w.on('error', () => this.fail());
      w.on('exit', () => this.fail());
    }
  }

  get pending(): number {
    return this.dirs.size + this.done.length;
  }

  get canTake(): boolean {
    // Counting the lists not yet handed back too: workers running ahead of this thread would pile up
    // every folder's names at once, and they would outlive the young generation (W6 memory).
    return this.dirs.size + this.done.length < this.workers.length * PER_WORKER;
  }

  submit(dir: string, tag: number): void {
    this.dirs.set(tag, dir);
    if (this.failed) return;
    this.workers[this.nextWorker++ % this.workers.length]!.postMessage({ id: tag, dir });
  }

  async next(): Promise<{ tag: number; result: ListResult }> {
    for (;;) {
      const ready = this.done.shift();
      if (ready) return ready;
      // A worker stopped: what it had is listed here instead, so the scan never misses a folder.
      if (this.failed) {
        const [tag, dir] = this.dirs.entries().next().value as [number, string];
        this.dirs.delete(tag);
        return { tag, result: listSync(dir) };
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async close(): Promise<void> {
    this.failed = true; // their exits are expected now
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private settle(tag: number, result: ListResult): void {
    if (!this.dirs.delete(tag)) return;
    this.fromWorkers++;
    this.done.push({ tag, result });
    this.poke();
  }

  private fail(): void {
    this.failed = true;
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** From this many files (the index's count) the scan lists on workers: below it, starting them costs more than it saves. */
export const PARALLEL_LIST_MIN = 20_000;

/** Workers for a big tree on a machine with a second core, else this thread (also when workers cannot start). */
export function openLister(expectedFiles: number): DirLister {
  const count = Math.min(2, os.availableParallelism());
  if (expectedFiles < PARALLEL_LIST_MIN || count < 2) return new SyncLister();
  const workers: Worker[] = [];
  try {
    // Not waited for: messages wait until a worker is up, and one that fails to start is a failed worker (listed here).
    for (let i = 0; i < count; i++) workers.push(new Worker(WORKER_SOURCE, { eval: true }));
  } catch {
    for (const w of workers) void w.terminate();
    return new SyncLister();
  }
  return new WorkerLister(workers);
}

/**
 * The files and the folders below folder `dirRel` (relative paths, each folder before what it holds), for a folder
 * that just appeared as a whole; a folder that cannot be read is passed over (a scan reports it).
 */
export function listBelow(folder: string, dirRel: string): { files: string[]; folders: string[] } {
  const files: string[] = [];
  const folders: string[] = [];
  const walk = (rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(absolute(folder, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        folders.push(child);
        walk(child);
      } else if (e.isFile()) files.push(child);
    }
  };
  walk(dirRel);
  return { files, folders };
}
