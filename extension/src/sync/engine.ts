// The sync engine: keeps one folder and the person's data server the same, both ways (VS Code-free). A façade:
// the state is engineState.ts, every step runs on its SyncLoop, the passes are passes.ts, the feed feedFollower.ts.
import type { MyDropboxError } from '@mydropbox/shared';
import type { RemoteClient } from './remote';
import { FolderWatcher } from './watcher';
import type { TransferProgress } from './activity';
import { pathState, type PathState, type PathStateView } from './pathStates';
import type { NotSyncedItem } from './notSynced';
import { EngineState, type EngineOptions, type SyncStatus } from './engineState';
import { openOrHalt, releaseState } from './lifecycle';
import { fullPass, incrementalPass, saveCursorAtStop, syncOnce } from './passes';
import { onWatch } from './refresh';
import { followFeed } from './feedFollower';
import { armFolderPoll } from './folderSync';
import { conflictedCopies, pathViewOf } from './engineView';

export type { SyncStatus, SyncEvents, EngineOptions } from './engineState';

export class SyncEngine {
  readonly remote: RemoteClient;
  private readonly s: EngineState;
  private readonly pathView: PathStateView;

  constructor(opts: EngineOptions) {
    const s = (this.s = new EngineState(opts));
    this.remote = s.remote;
    this.pathView = pathViewOf(s);
    s.schedule = () => {
      if (!s.stopped) void s.loop.request('incremental', () => incrementalPass(s));
    };
    s.requestFullPass = () => void s.loop.request('fullPass', () => fullPass(s));
  }

  /** Scan + reconcile, then watch and follow the change feed until stop(). */
  async start(): Promise<void> {
    const s = this.s;
    if (s.started) return;
    openOrHalt(s);
    s.started = true;
    s.watcher = new FolderWatcher(
      s.folder,
      (rel, isDir) => s.rules.ignores(rel, isDir),
      (batch) => onWatch(s, batch),
      (err) => s.log('warn', `Watching the folder failed: ${String(err)}`),
    );
    // The full pass's scan watches each folder before reading it (one walk of the tree, not two); a pass
    // that does not scan (paused, folder missing) leaves the folders below to the next one, which rescans all.
    await s.watcher.start({ walk: false });
    await s.loop.run(() => fullPass(s)).catch(() => undefined); // reported through the status; retried
    if (s.halted) return;
    s.feedAbort = new AbortController();
    s.feedDone = followFeed(s, s.feedAbort.signal);
    armFolderPoll(s);
  }

  async stop(): Promise<void> {
    const s = this.s;
    s.stopped = true;
    s.loop.stop();
    s.feedAbort?.abort();
    await s.watcher?.close();
    await s.feedDone;
    await s.loop.idle();
    await saveCursorAtStop(s);
    releaseState(s);
  }

  /** What is not synced and why (links, names the server cannot store, unreadable files, unsafe server paths, failures). */
  get notSynced(): NotSyncedItem[] {
    return this.s.issues.items();
  }

  /** Every path not synced, with why in words (the same items as `notSynced`, as a map for views that look paths up). */
  get failures(): ReadonlyMap<string, string> {
    return new Map(this.s.issues.items().map((i) => [i.path, i.message]));
  }

  /** Why syncing stopped by itself (folder missing or replaced, signed out), if it did. */
  get stoppedBecause(): MyDropboxError | undefined {
    return this.s.halted;
  }

  pause(): void {
    this.s.paused = true;
    this.s.setStatus({ kind: 'paused' });
  }

  resume(): void {
    if (!this.s.paused) return;
    this.s.paused = false;
    this.s.setStatus({ kind: 'syncing', pending: 0 });
    this.s.requestFullPass();
  }

  /** One full pass both ways; resolves when in sync (or throws the reason). */
  async syncNow(): Promise<void> {
    openOrHalt(this.s);
    await syncOnce(this.s);
  }

  get status(): SyncStatus {
    return this.s.current;
  }

  /** Where one path stands (synced, pending, moving, not synced and why, ignored), from what the engine knows; cheap enough to ask per file shown. */
  pathState(p: string): PathState | undefined {
    return this.s.index ? pathState(this.pathView, p) : undefined;
  }

  /** The conflicted copies in the folder (a walk of the local tree: ask after a pass, not per file). */
  conflictedCopies(): string[] {
    return conflictedCopies(this.s);
  }

  /** Transfers in progress (path, direction, bytes so far). */
  transfers(): TransferProgress[] {
    return this.s.activity.transfers();
  }

  /** Stops the transfer of `p`; the path is then listed as not synced until retry(). False when nothing was moving there. */
  cancelTransfer(p: string): boolean {
    return this.s.activity.cancel(p);
  }

  /** Looks at a path left out (a failure, a cancelled transfer) again. */
  retry(p: string): void {
    const s = this.s;
    s.issues.failures.delete(p);
    s.issues.writes.delete(p);
    s.dirtyLocal.add(p);
    s.dirtyRemote.add(p);
    s.opts.events?.pathsChanged?.([p]);
    s.schedule();
  }

  /** The files as last synced (for status displays). */
  get syncedCount(): number {
    return this.s.index?.size ?? 0;
  }
}
