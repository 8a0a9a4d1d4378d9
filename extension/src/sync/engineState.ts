// What one engine knows and has in hand: the context the passes, the feed follower and the lifecycle steps work on.
import os from 'node:os';
import path from 'node:path';
import { MyDropboxError } from '@mydropbox/shared';
import type { Session } from './session';
import { RemoteClient, DEFAULT_TIMEOUTS, type Timeouts } from './remote';
import type { SyncedIndex } from './syncedIndex';
import { IgnoreRules } from './ignore';
import type { RemoteEntry } from './executor';
import type { FolderWatcher } from './watcher';
import { CompactTree } from './compactTree';
import { LocalTree } from './localTree';
import { ActivityTracker, type ActivityEvent } from './activity';
import { displayPath, NotSyncedList, type NotSyncedItem } from './notSynced';
import { systemClock, type Clock } from './clock';
import { SyncLoop } from './syncLoop';
import { nodeLocalIO, type LocalIO, type SyncServer } from './engineIO';

export type SyncStatus =
  /** `notSynced`: how many items are left out (links, bad names, unreadable…; the list is `engine.notSynced`). */
  | { kind: 'upToDate'; lastSyncAt?: number; notSynced?: number }
  /** `retryAt`/`reason`: some transfers failed in a way that may pass (a stall, a cut connection) and are tried again then. */
  | { kind: 'syncing'; pending: number; retryAt?: number; reason?: string }
  | { kind: 'paused' }
  | { kind: 'offline'; retryAt?: number; reason: string }
  | { kind: 'signedOut' }
  /** `stopped`: syncing this folder stopped for good (folder missing or replaced); start again once the person acted. */
  | { kind: 'error'; message: string; stopped?: boolean };

export interface SyncEvents {
  status?(status: SyncStatus): void;
  log?(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  conflict?(info: { path: string; conflictPath: string }): void; // both versions kept; tell the person
  /** A transfer started, an action finished or failed (activity.ts). */
  activity?(event: ActivityEvent): void;
  /** These paths' pathState() may have changed; undefined: any path's may have. */
  pathsChanged?(paths: readonly string[] | undefined): void;
  /** The list of what is not synced changed (`engine.notSynced`); an empty list once all is well again. */
  notSynced?(items: NotSyncedItem[]): void;
  /** Syncing stopped by itself (folder missing or replaced, device signed out); nothing was deleted. The lock is released. */
  stopped?(reason: MyDropboxError): void;
}

export interface EngineOptions {
  folder: string;
  stateDir: string;
  session: Session;
  events?: SyncEvents;
  /** Shown in conflicted copies' names ("conflicted copy from <deviceName> …"); defaults to the host name. */
  deviceName?: string;
  /** Forget what was last synced here first: a first sync, which deletes nothing (the way out of a "folder replaced" stop). */
  reset?: boolean;
  /** How long a request may wait for an answer or go silent mid-body (tests make them short). */
  timeouts?: Partial<Timeouts>;
  /** What the engine reads the time from and sets its timers with (a simulator gives a fake one). */
  clock?: Clock;
  /** How often the server's explicit folders are asked for while running (a folder made on the website or over WebDAV). */
  folderPollMs?: number;
  /** The data server, when not the RemoteClient made from `session` (the simulator's in-memory one). */
  server?: SyncServer;
  /** The folder side, when not node:fs (the simulator's in-memory one). */
  io?: LocalIO;
}

export class EngineState {
  readonly remote: RemoteClient;
  readonly folder: string;
  readonly deviceName: string;
  index: SyncedIndex | undefined;
  releaseLock: (() => void) | undefined;
  rules = IgnoreRules.fromText('');
  local = new LocalTree(new CompactTree());
  readonly remoteTree = new CompactTree<RemoteEntry>((p) => this.index?.canonical(p));
  readonly tombstones = new Map<string, number>();
  cursor: string | undefined;
  /** Whose feed `cursor` is (remoteTree.ts): saved beside it in the index. */
  feedIdentity: string | undefined;
  watcher: FolderWatcher | undefined;
  feedAbort: AbortController | undefined;
  feedDone: Promise<void> | undefined;
  readonly clock: Clock;
  /** Every step that reads or changes the sync state runs here, one at a time; it owns the timers. */
  readonly loop: SyncLoop;
  offlineAttempts = 0;
  readonly dirtyLocal = new Set<string>();
  readonly dirtyRemote = new Set<string>();
  readonly dirtyPlan = new Set<string>();
  /** Folders here (the scan's, kept current by the watcher), the server's explicit ones, and those both last agreed on (folderSync.ts). */
  localFolders = new Set<string>();
  remoteFolders = new Set<string>();
  syncedFolders = new Set<string>();
  /** Folders whose last file this device deleted on the server while keeping the folder here: made there too, so it stays. */
  readonly keepThere = new Set<string>();
  foldersDirty = true;
  /** The server lists its folders (an older one does not: folders then follow the files only). */
  foldersKnown = false;
  /** What is not synced and why; `failures` there are paths that need the person (quota, refused name), retried when they change. */
  readonly issues = new NotSyncedList();
  toldNotSynced = new Set<string>();
  /** The id in the folder's marker: checked before every step that could delete. */
  folderId = '';
  /** Why syncing stopped by itself; nothing runs after it. */
  halted: MyDropboxError | undefined;
  /** Paths waiting to be tried again after a transfer of theirs stalled or broke (their own backoff). */
  readonly retryLater = new Map<string, { attempts: number; at: number; reason: unknown }>();
  /** The trees may be stale (no full pass yet, or the last one failed): nothing can be called up to date until one succeeds. */
  passOwed = true;
  lastError: unknown;
  paused = false;
  stopped = false;
  started = false;
  current: SyncStatus = { kind: 'upToDate' };
  readonly activity = new ActivityTracker((e) => {
    this.opts.events?.activity?.(e);
    this.opts.events?.pathsChanged?.(e.kind === 'started' ? [e.transfer.path] : [e.path]);
  });

  /** The data server as the passes see it (the RemoteClient unless the engine was given another). */
  readonly server: SyncServer;
  /** The folder side of the passes and the executor (node:fs unless the engine was given another). */
  readonly io: LocalIO;
  /** Asks the loop for an incremental pass (wired by the engine: the passes live in passes.ts). */
  schedule: () => void = () => undefined;
  /** Asks the loop for a full pass. */
  requestFullPass: () => void = () => undefined;

  constructor(readonly opts: EngineOptions) {
    this.folder = path.resolve(opts.folder);
    this.deviceName = opts.deviceName ?? os.hostname();
    this.remote = new RemoteClient(opts.session, undefined, { ...DEFAULT_TIMEOUTS, ...opts.timeouts });
    this.clock = opts.clock ?? systemClock;
    this.loop = new SyncLoop(this.clock);
    this.server = opts.server ?? this.remote;
    this.io = opts.io ?? nodeLocalIO;
  }

  /** An entry from the server that cannot be believed: left out and listed, the rest syncs on. */
  readonly badServerEntry = (p: unknown, problem: string): void => {
    const shown = displayPath(p);
    this.issues.server.set(shown, { path: shown, reason: 'badServerPath', message: problem });
  };

  lastErrorCode(): MyDropboxError['code'] {
    return MyDropboxError.is(this.lastError) ? this.lastError.code : 'internal';
  }

  setStatus(status: SyncStatus): void {
    if (this.paused && status.kind !== 'paused') return;
    if (JSON.stringify(status) === JSON.stringify(this.current)) return;
    this.current = status;
    this.opts.events?.status?.(status);
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.opts.events?.log?.(level, message);
  }
}
