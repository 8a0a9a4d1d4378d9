// Hashes the blocks of a big file on every core: a small pool of worker threads, each reading and hashing a run of blocks.
//
// SHA-256 runs on the calling thread in Node, so one file hashed on the main thread uses one core
// (W3: a 1 GiB file is 256 blocks to hash). The workers are plain JavaScript
// evaluated from a string, so they work the same from the TypeScript sources and from the bundled daemon.
import os from 'node:os';
import { Worker } from 'node:worker_threads';

/** Runs of blocks a worker reads and hashes; `ino` and `size` are what the caller's stat saw. */
interface Job {
  id: number;
  file: string;
  ino: number;
  size: number;
  blockSize: number;
  from: number; // first block index
  to: number; // one past the last
}

type Reply = { id: number; blocks: string[] } | { id: number; changed: true } | { id: number; error: string; code?: string };

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
let buf;
parentPort.on('message', (job) => {
  let fd;
  try {
    fd = fs.openSync(job.file, 'r');
    const st = fs.fstatSync(fd);
    // Another file now at this path, or this one resized: the caller's stat no longer holds.
    if (st.ino !== job.ino || st.size !== job.size) return parentPort.postMessage({ id: job.id, changed: true });
    if (!buf || buf.length < job.blockSize) buf = Buffer.allocUnsafe(job.blockSize);
    const blocks = [];
    for (let b = job.from; b < job.to; b++) {
      const start = b * job.blockSize;
      const want = Math.min(job.blockSize, job.size - start);
      let filled = 0;
      while (filled < want) {
        const n = fs.readSync(fd, buf, filled, want - filled, start + filled);
        if (n === 0) break;
        filled += n;
      }
      if (filled !== want) return parentPort.postMessage({ id: job.id, changed: true });
      blocks.push(createHash('sha256').update(buf.subarray(0, want)).digest('hex'));
    }
    parentPort.postMessage({ id: job.id, blocks });
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String(err && err.message || err), code: err && err.code });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
});
`;

/** One worker per core, at least two (the point is the second core), at most four. */
const POOL_SIZE = Math.max(2, Math.min(4, os.availableParallelism()));

/** What a worker found: the blocks, or that the file changed under it (the caller retries later). */
export type RunResult = { blocks: string[] } | { changed: true };

class HashPool {
  private workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve(r: RunResult): void; reject(err: unknown): void }>();
  private nextId = 1;
  private nextWorker = 0;

  private start(): void {
    for (let i = 0; i < POOL_SIZE; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.on('message', (r: Reply) => this.settle(r));
      w.on('error', (err) => this.workers.includes(w) && this.fail(err));
      w.on('exit', () => this.workers.includes(w) && this.fail(new Error('A hashing worker stopped.')));
      w.unref(); // after the listeners (adding one refs it again): an idle pool never keeps a process alive; see `busy`
      this.workers.push(w);
    }
  }

  /** A worker died: every job in flight fails (the caller falls back to hashing itself), the next call starts a new pool. */
  private fail(err: unknown): void {
    for (const w of this.workers) void w.terminate();
    this.workers = [];
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(err);
  }

  /** Jobs in flight keep the process alive (their promises alone would not), an idle pool does not. */
  private busy(on: boolean): void {
    for (const w of this.workers) {
      if (on) w.ref();
      else w.unref();
    }
  }

  private settle(r: Reply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (this.pending.size === 0) this.busy(false);
    if ('blocks' in r) p.resolve({ blocks: r.blocks });
    else if ('changed' in r) p.resolve({ changed: true });
    else p.reject(Object.assign(new Error(r.error), r.code ? { code: r.code } : {}));
  }

  run(job: Omit<Job, 'id'>): Promise<RunResult> {
    if (this.workers.length === 0) this.start();
    const id = this.nextId++;
    const worker = this.workers[this.nextWorker++ % this.workers.length]!;
    return new Promise<RunResult>((resolve, reject) => {
      if (this.pending.size === 0) this.busy(true);
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...job, id });
    });
  }

  get size(): number {
    return POOL_SIZE;
  }
}

const pool = new HashPool();

/**
 * The block hashes of `file` (whose stat said `ino` and `size`), split into one contiguous run per
 * worker. `changed` when the file was replaced or resized meanwhile.
 */
export async function hashBlocksInParallel(file: string, ino: number, size: number, blockSize: number): Promise<RunResult> {
  const count = Math.ceil(size / blockSize);
  const per = Math.ceil(count / pool.size);
  const runs: Promise<RunResult>[] = [];
  for (let from = 0; from < count; from += per) runs.push(pool.run({ file, ino, size, blockSize, from, to: Math.min(count, from + per) }));
  const results = await Promise.all(runs);
  const blocks: string[] = [];
  for (const r of results) {
    if ('changed' in r) return r;
    blocks.push(...r.blocks);
  }
  return { blocks };
}
