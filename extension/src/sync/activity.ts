// What the engine is moving right now and what it just did: transfers in progress (bytes so far, cancellable) and each finished action, as events.
//
// The executor reports every action it runs through an ActivityTracker; the engine hands the events
// to whoever listens (the extension's Activity view, the daemon's log). Nothing here decides what to
// sync: a cancelled transfer is simply an action that failed with TransferCancelledError.
import type { Action } from './planner';

export type TransferDirection = 'upload' | 'download';

/** One transfer in progress. `bytes` counts the file's bytes done so far (blocks the server already had count at once). */
export interface TransferProgress {
  path: string;
  direction: TransferDirection;
  size: number;
  bytes: number;
  startedAt: number;
}

/** What a finished action did, in the words of the Activity view. */
export type ChangeKind = 'uploaded' | 'downloaded' | 'deletedHere' | 'deletedOnServer' | 'conflict';

export type ActivityEvent =
  | { kind: 'started'; transfer: TransferProgress }
  | { kind: 'finished'; path: string; change: ChangeKind; at: number; size?: number; conflictPath?: string }
  /** The action did not complete; `retrying` when the engine tries again by itself (network trouble, a file still changing). */
  | { kind: 'failed'; path: string; change: ChangeKind; at: number; message: string; retrying: boolean; cancelled: boolean };

/** Thrown into a transfer the person cancelled; the engine lists the path as not synced until they choose Retry. */
export class TransferCancelledError extends Error {
  constructor(readonly path: string) {
    super('Cancelled; choose Retry to sync it.');
    this.name = 'TransferCancelledError';
  }
}

/** Handed to the code moving one file's bytes. */
export interface TransferHandle {
  readonly signal: AbortSignal;
  /** The file's bytes done so far. */
  progress(bytes: number): void;
}

const NO_TRANSFER: TransferHandle = { signal: new AbortController().signal, progress: () => undefined };

export function changeKindOf(action: Action): ChangeKind | undefined {
  switch (action.kind) {
    case 'upload':
      return 'uploaded';
    case 'download':
      return 'downloaded';
    case 'deleteLocal':
      return 'deletedHere';
    case 'deleteRemote':
      return 'deletedOnServer';
    case 'conflict':
    case 'moveAside':
    case 'downloadAside':
      return 'conflict';
    case 'updateSynced':
      return undefined;
  }
}

export class ActivityTracker {
  private readonly active = new Map<string, TransferProgress & { abort: AbortController }>();

  constructor(
    private readonly emit: (event: ActivityEvent) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** An action begins: uploads and downloads become transfers (with a handle), deletes get none. */
  begin(action: Action, size: number): TransferHandle {
    const direction: TransferDirection | undefined =
      action.kind === 'upload'
        ? 'upload'
        : action.kind === 'download' || action.kind === 'conflict' || action.kind === 'downloadAside'
          ? 'download'
          : undefined;
    if (!direction) return NO_TRANSFER;
    const abort = new AbortController();
    const entry = { path: action.path, direction, size, bytes: 0, startedAt: this.now(), abort };
    this.active.set(action.path, entry);
    this.emit({ kind: 'started', transfer: publicView(entry) });
    return {
      signal: abort.signal,
      progress: (bytes) => {
        if (this.active.get(action.path) === entry) entry.bytes = Math.min(size, Math.max(entry.bytes, bytes));
      },
    };
  }

  /** The action ended: `error` undefined means it completed; `retrying` says whether the engine will try again by itself. */
  end(action: Action, error?: unknown, retrying = false, extra: { size?: number } = {}): void {
    const entry = this.active.get(action.path);
    const cancelled = entry?.abort.signal.aborted === true || error instanceof TransferCancelledError;
    this.active.delete(action.path);
    const change = changeKindOf(action);
    if (!change) return;
    const at = this.now();
    if (error === undefined) {
      this.emit({
        kind: 'finished',
        path: action.path,
        change,
        at,
        ...(extra.size !== undefined ? { size: extra.size } : {}),
        ...('conflictPath' in action ? { conflictPath: action.conflictPath } : {}),
      });
    } else {
      const message = cancelled ? new TransferCancelledError(action.path).message : error instanceof Error ? error.message : String(error);
      this.emit({ kind: 'failed', path: action.path, change, at, message, retrying: retrying && !cancelled, cancelled });
    }
  }

  /** Stops a transfer in progress; false when nothing is moving at that path. */
  cancel(path: string): boolean {
    const entry = this.active.get(path);
    if (!entry) return false;
    entry.abort.abort(new TransferCancelledError(path));
    return true;
  }

  direction(path: string): TransferDirection | undefined {
    return this.active.get(path)?.direction;
  }

  /** A copy of every transfer in progress, oldest first. */
  transfers(): TransferProgress[] {
    return [...this.active.values()].map(publicView);
  }
}

function publicView(e: TransferProgress): TransferProgress {
  return { path: e.path, direction: e.direction, size: e.size, bytes: e.bytes, startedAt: e.startedAt };
}
