// The per-user change feed: cursors are change sequence numbers, and long-polls wake when a commit lands.
import type { Change, ChangesResponse } from '@mydropbox/shared';
import type { FileRow, FilesRepository } from '../store/filesRepository';
import type { FolderChangeRow, FoldersRepository } from '../store/foldersRepository';

export const MAX_WAIT_SECONDS = 60;
const PAGE = 1000;
const CURSOR = /^[0-9]{1,15}$/;

export class ChangeFeed {
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(
    private readonly files: FilesRepository,
    private readonly folders: FoldersRepository,
  ) {}

  async cursorNow(owner: string): Promise<string> {
    return String(await this.files.maxSeq(owner));
  }

  /** Called after a user's rows are committed. */
  notify(owner: string): void {
    const set = this.waiters.get(owner);
    if (!set) return;
    this.waiters.delete(owner);
    for (const wake of set) wake();
  }

  /**
   * Changes after `cursor`; when there are none, waits up to `waitMs` for one. A cursor that is not
   * one of ours, or is ahead of the newest change (a restored database), gets `reset: true`.
   */
  async changes(owner: string, cursor: unknown, waitMs: number, abort?: AbortSignal): Promise<ChangesResponse> {
    // Listening before the first query means a commit landing in between still wakes this poll.
    const waiter = waitMs > 0 && !this.closed ? this.listen(owner, waitMs, abort) : undefined;
    try {
      const newest = await this.files.maxSeq(owner);
      if (typeof cursor !== 'string' || !CURSOR.test(cursor) || Number(cursor) > newest) {
        return { changes: [], cursor: String(newest), reset: true };
      }
      const from = Number(cursor);
      let rows = await this.since(owner, from);
      if (rows.length === 0 && waiter) {
        await waiter.woken;
        rows = await this.since(owner, from);
      }
      return { changes: rows.map(toChange), cursor: String(rows.length ? rows[rows.length - 1]!.seq : from) };
    } finally {
      waiter?.cancel();
    }
  }

  /** File and folder changes after `from` in their one order, a page at most. */
  private async since(owner: string, from: number): Promise<(FileRow | (FolderChangeRow & { kind: 'folder' }))[]> {
    const [files, folders] = await Promise.all([this.files.changesSince(owner, from, PAGE), this.folders.changesSince(owner, from, PAGE)]);
    const merged = [...files, ...folders.map((f) => ({ ...f, kind: 'folder' as const }))].sort((a, b) => a.seq - b.seq);
    return merged.slice(0, PAGE);
  }

  /** Wakes every long-poll so a closing server does not wait for them. */
  close(): void {
    this.closed = true;
    for (const owner of [...this.waiters.keys()]) this.notify(owner);
  }

  private listen(owner: string, waitMs: number, abort?: AbortSignal): { woken: Promise<void>; cancel(): void } {
    let cancel!: () => void;
    const woken = new Promise<void>((resolve) => {
      const set = this.waiters.get(owner) ?? new Set<() => void>();
      this.waiters.set(owner, set);
      const done = () => {
        clearTimeout(timer);
        abort?.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(owner) === set) this.waiters.delete(owner);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      abort?.addEventListener('abort', done);
      set.add(done);
      cancel = done;
    });
    return { woken, cancel };
  }
}

function toChange(r: FileRow | (FolderChangeRow & { kind: 'folder' })): Change {
  if ('kind' in r) return { path: r.path, deleted: r.deleted, kind: 'folder', rev: 0, size: 0, contentHash: '', modifiedAt: r.createdAt };
  return {
    path: r.path,
    deleted: r.deleted,
    rev: r.rev,
    size: r.size,
    contentHash: r.contentHash,
    modifiedAt: r.modifiedAt,
    ...(r.executable ? { executable: true } : {}),
  };
}
