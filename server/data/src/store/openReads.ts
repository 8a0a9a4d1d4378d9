// Live files open for download in this process: an in-place patch must not change bytes under a reader.
import type { EventEmitter } from 'node:events';
import type { FileHandle } from 'node:fs/promises';

export class OpenReads {
  private readonly counts = new Map<string, number>();

  /** Counts `handle` as a reader of `abs` until it is closed. */
  track(abs: string, handle: FileHandle): void {
    this.counts.set(abs, (this.counts.get(abs) ?? 0) + 1);
    // A FileHandle emits 'close' (Node ≥ 15.4), also when a read stream closes it, but @types/node does not declare it.
    (handle as unknown as EventEmitter).once('close', () => {
      const n = (this.counts.get(abs) ?? 1) - 1;
      if (n > 0) this.counts.set(abs, n);
      else this.counts.delete(abs);
    });
  }

  busy(abs: string): boolean {
    return this.counts.has(abs);
  }
}
