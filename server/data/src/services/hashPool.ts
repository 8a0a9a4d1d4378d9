// SHA-256 of uploaded 4 MiB blocks on worker threads, so the event loop keeps reading sockets and writing files meanwhile.
//
// Hashing on the event loop made it the bound of a big upload (W2) and held every other user's
// request for the length of a block's hash (figures in docs/performance.md). A block is copied once into a shared buffer, hashed
// there by a worker, and written to disk from the same buffer: the bytes hashed are the bytes
// written. The workers are plain JavaScript evaluated from a string, so they need no build step.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { BLOCK_SIZE, sha256Hex } from '@mydropbox/shared';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
parentPort.on('message', ({ id, buffer, length }) => {
  parentPort.postMessage({ id, hash: createHash('sha256').update(new Uint8Array(buffer, 0, length)).digest('hex') });
});
`;

/** Shared buffers kept for reuse; more blocks in flight than this allocate (and drop) their own. */
const SPARE_BUFFERS = 8;

/** A block's bytes in a shared buffer and their SHA-256; `release` once they are written. */
export interface HashedBlock {
  hash: string;
  data: Buffer;
  release(): void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

export class HashPool {
  private readonly workers: Slot[] = [];
  private readonly waiting = new Map<number, { slot: Slot; resolve: (hash: string) => void; reject: (err: unknown) => void }>();
  private readonly spare: SharedArrayBuffer[] = [];
  private nextId = 0;

  private closed = false;

  constructor(private readonly size = Math.max(1, Math.min(4, os.availableParallelism()))) {}

  /** Workers start with the first block, so a data server that never sees a big upload has none. */
  private start(): void {
    if (this.closed || this.workers.length) return;
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref(); // idle workers must not keep the process alive
      const slot = { worker, busy: 0 };
      worker.on('message', ({ id, hash }: { id: number; hash: string }) => {
        const done = this.waiting.get(id);
        this.waiting.delete(id);
        done?.resolve(hash);
      });
      // A worker that dies takes its blocks with it (they fail, and are sent again); the rest hash on the event loop.
      worker.on('error', (err) => {
        this.workers.splice(this.workers.indexOf(slot), 1);
        for (const [id, w] of this.waiting) {
          if (w.slot !== slot) continue;
          this.waiting.delete(id);
          w.reject(err);
        }
      });
      this.workers.push(slot);
    }
  }

  /** Copies the chunks (`length` bytes in all) into a shared buffer and hashes them on the least busy worker. */
  async hash(chunks: readonly Buffer[], length: number): Promise<HashedBlock> {
    const buffer = length <= BLOCK_SIZE ? (this.spare.pop() ?? new SharedArrayBuffer(BLOCK_SIZE)) : new SharedArrayBuffer(length);
    const data = Buffer.from(buffer, 0, length);
    let at = 0;
    for (const c of chunks) at += c.copy(data, at);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (buffer.byteLength === BLOCK_SIZE && this.spare.length < SPARE_BUFFERS) this.spare.push(buffer);
    };
    this.start();
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a), this.workers[0]!);
    if (!slot) return { hash: sha256Hex(data), data, release };
    const id = this.nextId++;
    slot.busy++;
    try {
      const hash = await new Promise<string>((resolve, reject) => {
        this.waiting.set(id, { slot, resolve, reject });
        slot.worker.postMessage({ id, buffer, length });
      });
      return { hash, data, release };
    } catch (err) {
      release();
      throw err;
    } finally {
      slot.busy--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
  }
}
