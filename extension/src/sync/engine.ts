// The sync engine: keeps one folder and the person's data server the same, both ways (VS Code-free).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseName, classify, isValidPath, MyDropboxError } from '@mydropbox/shared';
import type { Session } from './session';
import { RemoteClient, backoffDelay, DEFAULT_TIMEOUTS, type Timeouts } from './remote';
import { SyncedIndex } from './syncedIndex';
import { IgnoreRules, IGNORE_FILE } from './ignore';
import { scanFolder, statAndHash } from './scanner';
import { FileChangingError, statOf } from './hasher';
import { ancestorsOf, plan, pendingCount, type Action } from './planner';
import { execute, type RemoteEntry } from './executor';
import { FolderWatcher, type WatchBatch } from './watcher';
import { applyChanges, POLL_SECONDS } from './changeFeed';
import { acquireStateLock } from './stateLock';
import { absolute } from './transfer';
import { CompactTree } from './compactTree';
import { LocalTree } from './localTree';
import { applySnapshot, catchUp, feedIdentity, fetchRemote } from './remoteTree';
import { ActivityTracker, type ActivityEvent, type TransferProgress } from './activity';
import { pathState, type PathState, type PathStateView } from './pathStates';
import { isConflictedCopy } from './conflict';
import { checkSyncedFolder, openSyncedFolder } from './folderMarker';
import { checkStateOwner, readStateIdentity, resetState, writeStateIdentity } from './stateDir';
import { describeLocal, displayPath, NotSyncedList, type NotSyncedItem } from './notSynced';
import { checkParents, serverEntryProblem, UnsafeLocalPathError } from './pathSafety';
import { isAccessError } from './scanner';
import { systemClock, type Clock } from './clock';
import { SyncLoop } from './syncLoop';

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
}

/** Plan-execute rounds per pass: a conflict needs two (move aside + download, then upload the copy). */
const MAX_ROUNDS = 6;
/** A file still being written is looked at again after this long. */
const UNSETTLED_RETRY_MS = 100;
const OFFLINE_BACKOFF = { baseDelayMs: 500, maxDelayMs: 15_000 };
/** One path's transfer that stalled or broke while the server answered others: tried again on its own, not the engine's, backoff. */
const PATH_RETRY_BACKOFF = { baseDelayMs: 1_000, maxDelayMs: 60_000 };

export class SyncEngine {
  readonly remote: RemoteClient;
  private readonly folder: string;
  private readonly deviceName: string;
  private index: SyncedIndex | undefined;
  private releaseLock: (() => void) | undefined;
  private rules = IgnoreRules.fromText('');
  private local = new LocalTree(new CompactTree());
  private readonly remoteTree = new CompactTree<RemoteEntry>((p) => this.index?.canonical(p));
  private readonly tombstones = new Map<string, number>();
  private cursor: string | undefined;
  /** Whose feed `cursor` is (remoteTree.ts): saved beside it in the index. */
  private feedIdentity: string | undefined;
  private watcher: FolderWatcher | undefined;
  private feedAbort: AbortController | undefined;
  private feedDone: Promise<void> | undefined;
  private readonly clock: Clock;
  /** Every step that reads or changes the sync state runs here, one at a time; it owns the timers. */
  private readonly loop: SyncLoop;
  private offlineAttempts = 0;
  private readonly dirtyLocal = new Set<string>();
  private readonly dirtyRemote = new Set<string>();
  private readonly dirtyPlan = new Set<string>();
  /** What is not synced and why; `failures` there are paths that need the person (quota, refused name), retried when they change. */
  private readonly issues = new NotSyncedList();
  private toldNotSynced = new Set<string>();
  /** The id in the folder's marker: checked before every step that could delete. */
  private folderId = '';
  /** Why syncing stopped by itself; nothing runs after it. */
  private halted: MyDropboxError | undefined;
  /** Paths waiting to be tried again after a transfer of theirs stalled or broke (their own backoff). */
  private readonly retryLater = new Map<string, { attempts: number; at: number; reason: unknown }>();
  /** The trees may be stale (no full pass yet, or the last one failed): nothing can be called up to date until one succeeds. */
  private passOwed = true;
  private lastError: unknown;
  private paused = false;
  private stopped = false;
  private started = false;
  private current: SyncStatus = { kind: 'upToDate' };
  private readonly activity = new ActivityTracker((e) => {
    this.opts.events?.activity?.(e);
    this.opts.events?.pathsChanged?.(e.kind === 'started' ? [e.transfer.path] : [e.path]);
  });

  constructor(private readonly opts: EngineOptions) {
    this.folder = path.resolve(opts.folder);
    this.deviceName = opts.deviceName ?? os.hostname();
    this.remote = new RemoteClient(opts.session, undefined, { ...DEFAULT_TIMEOUTS, ...opts.timeouts });
    this.clock = opts.clock ?? systemClock;
    this.loop = new SyncLoop(this.clock);
  }

  /** Scan + reconcile, then watch and follow the change feed until stop(). */
  async start(): Promise<void> {
    if (this.started) return;
    try {
      this.open();
    } catch (err) {
      if (MyDropboxError.is(err, 'folder_unavailable')) this.halt(err);
      throw err;
    }
    this.started = true;
    this.watcher = new FolderWatcher(
      this.folder,
      (rel, isDir) => this.rules.ignores(rel, isDir),
      (batch) => this.onWatch(batch),
      (err) => this.log('warn', `Watching the folder failed: ${String(err)}`),
    );
    // The full pass's scan watches each folder before reading it (one walk of the tree, not two); a pass
    // that does not scan (paused, folder missing) leaves the folders below to the next one, which rescans all.
    await this.watcher.start({ walk: false });
    await this.loop.run(() => this.fullPass()).catch(() => undefined); // reported through the status; retried
    if (this.halted) return;
    this.feedAbort = new AbortController();
    this.feedDone = this.followFeed(this.feedAbort.signal);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.loop.stop();
    this.feedAbort?.abort();
    await this.watcher?.close();
    await this.feedDone;
    await this.loop.idle();
    // `sync --once` never followed the feed: its cursor is from before its own commits, which the next
    // start would replay (or list again past 20,000). Catch up first; a change from elsewhere keeps the trees apart, so no save.
    if (!this.halted && !this.feedDone && this.cursor !== undefined && this.index)
      this.cursor = await catchUp(this.remote, this.cursor, this.remoteTree, this.tombstones);
    if (!this.halted) this.saveCursorIfInSync();
    this.releaseState();
  }

  /** What is not synced and why (links, names the server cannot store, unreadable files, unsafe server paths, failures). */
  get notSynced(): NotSyncedItem[] {
    return this.issues.items();
  }

  /** Every path not synced, with why in words (the same items as `notSynced`, as a map for views that look paths up). */
  get failures(): ReadonlyMap<string, string> {
    return new Map(this.issues.items().map((i) => [i.path, i.message]));
  }

  /** Why syncing stopped by itself (folder missing or replaced, signed out), if it did. */
  get stoppedBecause(): MyDropboxError | undefined {
    return this.halted;
  }

  pause(): void {
    this.paused = true;
    this.setStatus({ kind: 'paused' });
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.setStatus({ kind: 'syncing', pending: 0 });
    this.requestFullPass();
  }

  /** One full pass both ways; resolves when in sync (or throws the reason). */
  async syncNow(): Promise<void> {
    try {
      this.open();
    } catch (err) {
      if (MyDropboxError.is(err, 'folder_unavailable')) this.halt(err);
      throw err;
    }
    await this.loop.run(() => this.fullPass());
    if (this.halted) throw this.halted;
    for (let wait = 0; this.dirtyLocal.size > 0 && wait < 50; wait++) {
      await this.clock.sleep(UNSETTLED_RETRY_MS);
      await this.loop.run(() => this.incrementalPass());
    }
    if (this.dirtyLocal.size > 0)
      throw new MyDropboxError('invalid_request', `Still being written, not synced yet: ${[...this.dirtyLocal].slice(0, 5).join(', ')}`);
    const failures = this.issues.failures;
    if (failures.size > 0) {
      const first = failures.values().next().value as NotSyncedItem;
      throw new MyDropboxError(this.lastErrorCode(), `${failures.size} file(s) not synced; "${first.path}": ${first.message}`);
    }
    if (this.retryLater.size > 0) {
      const [p, { reason }] = this.retryLater.entries().next().value as [string, { reason: unknown }];
      throw new MyDropboxError(
        'server_unavailable',
        `${this.retryLater.size} file(s) could not be transferred yet; "${p}": ${reason instanceof Error ? reason.message : String(reason)}`,
      );
    }
  }

  get status(): SyncStatus {
    return this.current;
  }

  /** Where one path stands (synced, pending, moving, not synced and why, ignored), from what the engine knows; cheap enough to ask per file shown. */
  pathState(p: string): PathState | undefined {
    return this.index ? pathState(this.pathView, p) : undefined;
  }

  /** What pathState reads, made once: the editor asks for every row it draws. Used only while the index is open. */
  private readonly pathView: PathStateView = {
    // A file the scan or the index holds sits in folders the rules let through, so its name decides (one regex while the folder has no rules of its own).
    ignored: (q) => (this.local.has(q) || this.index!.has(q) ? this.rules.ignoresFile(q, baseName(q)) : this.rules.ignores(q)),
    notSynced: (q) => this.issues.reasonFor(q),
    transferring: (q) => this.activity.direction(q),
    changedHere: (q) => this.dirtyLocal.has(q),
    hasLocal: (q) => this.local.has(q),
    hasRemote: (q) => this.remoteTree.has(q),
    hasSynced: (q) => this.index!.has(q),
    inSync: (q) => this.local.inSync(q, this.remoteTree, this.index!.tree),
    localDiffers: (q) => this.local.get(q)?.contentHash !== this.index!.get(q)?.contentHash,
  };

  /** The conflicted copies in the folder (a walk of the local tree: ask after a pass, not per file). */
  conflictedCopies(): string[] {
    const copies: string[] = [];
    for (const p of this.local.keys()) if (isConflictedCopy(p)) copies.push(p);
    return copies.sort();
  }

  /** Transfers in progress (path, direction, bytes so far). */
  transfers(): TransferProgress[] {
    return this.activity.transfers();
  }

  /** Stops the transfer of `p`; the path is then listed as not synced until retry(). False when nothing was moving there. */
  cancelTransfer(p: string): boolean {
    return this.activity.cancel(p);
  }

  /** Looks at a path left out (a failure, a cancelled transfer) again. */
  retry(p: string): void {
    this.issues.failures.delete(p);
    this.issues.writes.delete(p);
    this.dirtyLocal.add(p);
    this.dirtyRemote.add(p);
    this.opts.events?.pathsChanged?.([p]);
    this.schedule();
  }

  /** The files as last synced (for status displays). */
  get syncedCount(): number {
    return this.index?.size ?? 0;
  }

  /**
   * Takes the state directory's lock, checks the state is this server's and folder's, and that the
   * folder is the one it synced (its marker; made with the folder at a first sync). Throws
   * `folder_unavailable` when it is not: nothing may be deleted on the strength of that state.
   */
  private open(): void {
    if (this.halted) throw this.halted;
    if (this.index) return;
    const stateDir = this.opts.stateDir;
    const release = acquireStateLock(stateDir);
    let index: SyncedIndex | undefined;
    try {
      const owner = { serverUrl: this.opts.session.serverUrl, folder: this.folder };
      if (this.opts.reset) resetState(stateDir);
      const identity = checkStateOwner(stateDir, owner);
      index = SyncedIndex.open(stateDir);
      const opened = index;
      this.folderId = openSyncedFolder(this.folder, {
        firstSync: opened.size === 0,
        knownId: identity?.folderId,
        holdsAnySyncedFile: () => holdsAnyOf(this.folder, opened.keys()),
      });
      if (identity?.folderId !== this.folderId)
        writeStateIdentity(stateDir, { ...owner, username: identity?.username ?? '', folderId: this.folderId });
    } catch (err) {
      index?.close();
      release();
      throw err;
    }
    this.releaseLock = release;
    this.index = index;
    this.local = new LocalTree(index.tree);
    // Index entries change only inside the loop's steps after the scan (never during one), so pinning the current tree is enough.
    index.beforeChange = (p) => this.local.pin(p);
  }

  /** Closes the index and lets go of the state directory (at stop, or once syncing stopped by itself). */
  private releaseState(): void {
    this.index?.close();
    this.releaseLock?.();
    this.releaseLock = undefined;
  }

  /**
   * Syncing this folder stops for good (until started again): the folder is missing or replaced, or the
   * device was signed out. Nothing more is planned or deleted; the lock is released once the step that
   * found it has unwound.
   */
  private halt(reason: MyDropboxError): void {
    if (this.halted) return;
    this.halted = reason;
    this.loop.stop();
    this.feedAbort?.abort();
    void this.watcher?.close();
    const signedOut = reason.code !== 'folder_unavailable';
    this.paused = false;
    this.setStatus(signedOut ? { kind: 'signedOut' } : { kind: 'error', message: reason.message, stopped: true });
    this.log(signedOut ? 'warn' : 'error', reason.message);
    void this.loop.run(async () => this.releaseState()).then(() => this.opts.events?.stopped?.(reason));
  }

  /** The account the access token is for must be the one this state was synced for (a state directory used by another host's naming). */
  private checkAccount(identity: string): void {
    let sub: unknown;
    try {
      sub = (JSON.parse(identity) as unknown[])[1];
    } catch {
      return;
    }
    if (typeof sub !== 'string') return;
    const owner = { serverUrl: this.opts.session.serverUrl, folder: this.folder, username: sub };
    const recorded = readStateIdentity(this.opts.stateDir);
    if (recorded?.username) checkStateOwner(this.opts.stateDir, owner);
    else writeStateIdentity(this.opts.stateDir, { ...owner, folderId: this.folderId });
  }

  /** An incremental pass, unless one is already waiting to run (it will see what was asked for too). */
  private schedule(): void {
    if (this.stopped) return;
    void this.loop.request('incremental', () => this.incrementalPass());
  }

  private requestFullPass(): void {
    void this.loop.request('fullPass', () => this.fullPass());
  }

  private onWatch(batch: WatchBatch): void {
    if (this.halted || !this.index) return;
    if (batch.files.has(IGNORE_FILE))
      this.rules = IgnoreRules.fromText(
        fs.existsSync(path.join(this.folder, IGNORE_FILE)) ? fs.readFileSync(path.join(this.folder, IGNORE_FILE), 'utf8') : '',
      );
    for (const f of batch.files) this.dirtyLocal.add(f);
    for (const d of batch.dirs) {
      // A folder added or removed as a whole: look at everything we knew below it, and what is there now,
      // and at the name itself (a file that was there, or is now).
      this.dirtyLocal.add(d);
      for (const p of [...this.local.keys(), ...this.index!.keys()]) if (p.startsWith(d + '/')) this.dirtyLocal.add(p);
      for (const p of listFilesBelow(this.folder, d)) this.dirtyLocal.add(p);
    }
    // New ignore rules or a whole folder can change any path's state below it.
    this.opts.events?.pathsChanged?.(batch.dirs.size || batch.files.has(IGNORE_FILE) ? undefined : [...batch.files]);
    this.schedule();
  }

  private async fullPass(): Promise<void> {
    if (this.paused || this.stopped || this.halted) return;
    const index = this.index!;
    await this.guard(async () => {
      // Never read a missing or replaced folder as "everything was deleted".
      checkSyncedFolder(this.folder, this.folderId);
      this.rules = await IgnoreRules.load(this.folder);
      // The first pass after a start may replay the feed from the index's cursor instead of listing everything.
      const firstPass = this.cursor === undefined;
      const listing = feedIdentity(this.opts.session).then((id) => {
        this.feedIdentity = id;
        this.checkAccount(id);
        return fetchRemote(this.remote, firstPass && index.cursor?.server === id ? index.cursor.cursor : undefined);
      });
      listing.catch(() => undefined); // awaited below; the scan's result is kept even when offline
      const scan = await scanFolder(this.folder, this.rules, {
        get: (p) => this.local.get(p) ?? index.get(p),
        canonical: (p) => index.canonical(p),
        base: index.tree,
        expected: index.size,
        reuse: (p, st, into) => (this.local.has(p) ? this.local.copyIfSameStat(p, st, into) : into.markIfSameAsBase(p, st)),
        beforeReading: (dirRel) => this.watcher?.watchFolder(dirRel),
      });
      this.local = scan.files;
      this.restatUnchanged();
      // No download runs during a full pass, so any temp file of ours is a leftover from a crash.
      await Promise.all(scan.strayTemps.map((f) => fs.promises.rm(f, { force: true })));
      this.issues.local.clear();
      this.issues.writes.clear();
      for (const item of scan.skipped) this.issues.local.set(item.path, item);
      const snapshot = await listing;
      if ('files' in snapshot) this.issues.server.clear();
      applySnapshot(snapshot, this.remoteTree, this.tombstones, index.tree, this.badServerEntry);
      this.cursor = snapshot.cursor;
      this.passOwed = false;
      for (const waiting of this.retryLater.values()) waiting.at = 0; // a full pass tries everything again
      index.settleSending((p) => this.remoteTree.get(p));
      this.issues.failures.clear();
      for (const p of scan.unsettled) this.dirtyLocal.add(p);
      this.opts.events?.pathsChanged?.(undefined);
      await this.reconcile(this.pathsToPlan());
      this.saveCursorIfInSync();
      index.flush();
      this.opts.events?.pathsChanged?.(undefined);
    });
  }

  /**
   * Files the scan read again and found unchanged (touched, or racily clean when last hashed): their new
   * stat goes into the index, so the next scan trusts it instead of reading them once more.
   */
  private restatUnchanged(): void {
    const index = this.index!;
    for (const p of this.local.ownKeys()) {
      const synced = index.get(p);
      if (!synced) continue;
      const l = this.local.get(p)!;
      if (l.contentHash !== synced.contentHash) continue;
      if (l.mtime !== synced.mtime || l.ino !== synced.ino || l.ctime !== synced.ctime || l.hashedAt !== synced.hashedAt)
        index.set(p, { ...synced, ...statOf(l) });
    }
  }

  /**
   * Every path of the three trees except those all three agree on (CompactTree.inSync, exactly the
   * planner's "nothing to do"; reconcile skips them too): at 100,000 unchanged files a set of three
   * times every path was most of the plan's time and a peak of garbage.
   */
  private pathsToPlan(): Set<string> {
    const index = this.index!;
    const synced = index.tree;
    const paths = new Set<string>();
    for (const p of index.keys()) if (!this.local.inSync(p, this.remoteTree, synced)) paths.add(p);
    for (const p of this.local.ownKeys()) if (!index.has(p)) paths.add(p); // a marked path is in the index by definition
    for (const p of this.remoteTree.keys()) if (!index.has(p)) paths.add(p);
    return paths;
  }

  /** When the server holds exactly the synced index, the next start needs only the feed since now (remoteTree.ts). */
  private saveCursorIfInSync(): void {
    if (
      this.index &&
      this.cursor !== undefined &&
      this.feedIdentity !== undefined &&
      CompactTree.sameContentAndRevisions(this.remoteTree, this.index.tree)
    )
      this.index.saveCursor(this.cursor, this.feedIdentity);
  }

  /** An entry from the server that cannot be believed: left out and listed, the rest syncs on. */
  private readonly badServerEntry = (p: unknown, problem: string): void => {
    const shown = displayPath(p);
    this.issues.server.set(shown, { path: shown, reason: 'badServerPath', message: problem });
  };

  private async incrementalPass(): Promise<void> {
    if (this.paused || this.stopped || this.halted || !this.index) return;
    if (this.dirtyLocal.size + this.dirtyRemote.size + this.dirtyPlan.size === 0) return;
    await this.guard(() => this.reconcile(new Set()));
  }

  /** Refresh what is dirty, then plan and execute the given paths until nothing is left to do. */
  private async reconcile(paths: Set<string>): Promise<void> {
    const index = this.index!;
    let settled = false;
    let last: readonly Action[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = this.clock.now();
      // Whatever the watcher or the feed reported meanwhile joins this pass rather than waiting for the next.
      for (const p of [...this.dirtyLocal, ...this.dirtyRemote, ...this.dirtyPlan]) paths.add(p);
      this.dirtyPlan.clear();
      await this.refreshLocal();
      await this.refreshRemote();
      const synced = index.tree;
      // A file where the other side has a folder is found from the path below it (planner.resolveShapes): its folders join the plan.
      for (const p of [...paths])
        for (const up of ancestorsOf(p)) if (this.local.has(up) || this.remoteTree.has(up) || index.has(up)) paths.add(up);
      const candidates = [...paths].filter(
        // A path in the synced index passed this check before it got there; only new paths (the server's included) are validated.
        (p) =>
          !this.dirtyLocal.has(p) &&
          !this.issues.failures.has(p) &&
          // What the planner would skip anyway (all three agree), told from the raw hashes without building entries.
          !this.local.inSync(p, this.remoteTree, synced) &&
          (index.has(p) || isValidPath(p)) &&
          !this.rules.ignores(p) &&
          // A link, special or unreadable file or folder here (or above): nothing at or below it is written or deleted.
          !this.issues.blocks(p) &&
          !((this.retryLater.get(p)?.at ?? 0) > now),
      );
      const actions = plan(this.local, this.remoteTree, index.tree, now, { deviceName: this.deviceName, paths: candidates });
      if (actions.length === 0) {
        settled = true;
        break;
      }
      last = actions;
      // The folder is still the one synced (its marker is there) before anything is written or deleted.
      checkSyncedFolder(this.folder, this.folderId);
      this.setStatus({ kind: 'syncing', pending: pendingCount(actions) });
      const report = await execute(
        {
          folder: this.folder,
          remote: this.remote,
          index,
          local: this.local,
          remoteTree: this.remoteTree,
          tombstones: this.tombstones,
          onConflict: (info) => {
            this.log('warn', `Conflict: "${info.path}" changed here and on the server; your version is kept as "${info.conflictPath}".`);
            this.opts.events?.conflict?.(info);
          },
          onProgress: (remaining) => this.setStatus({ kind: 'syncing', pending: remaining }),
          activity: this.activity,
        },
        actions,
      );
      for (const p of report.touched) paths.add(p);
      const retries: [string, unknown][] = [];
      let anyDone = false;
      for (const [p, outcome] of report.outcomes) {
        if (outcome === 'done') {
          anyDone = true;
          this.retryLater.delete(p);
        } else if (outcome === 'localChanged') this.dirtyLocal.add(p);
        else if (outcome === 'remoteChanged') {
          this.dirtyRemote.add(p);
          // The server refused a file where it has a folder, or below one of its files: look at both again.
          if (isShapeClash(report.errors.get(p))) {
            for (const up of ancestorsOf(p)) this.dirtyRemote.add(up);
            for (const below of this.remoteTree.keys()) if (below.startsWith(`${p}/`)) paths.add(below);
          }
        } else if (outcome === 'retry') retries.push([p, report.errors.get(p)]);
        else if (outcome === 'refused') {
          const message = String((report.errors.get(p) as Error).message);
          this.issues.writes.set(p, { path: p, reason: 'linkInPath', message });
        } else if (outcome === 'failed') {
          const err = report.errors.get(p);
          this.lastError = err;
          const message = err instanceof Error ? err.message : String(err);
          this.issues.failures.set(p, { path: p, reason: 'failed', message });
          this.log('error', `Cannot sync "${p}": ${message}`);
        }
      }
      if (retries.length > 0) {
        // The server answered others, or the transfer itself went silent or broke: these paths wait their own
        // backoff while the rest syncs on. Nothing answered at all: the engine is offline.
        if (!anyDone && !retries.every(([, err]) => isStall(err))) throw retries[0]![1];
        for (const [p, err] of retries) this.deferRetry(p, err);
      }
    }
    // Still not settled after every round (a plan that keeps changing under it): those paths wait and are looked at again.
    if (!settled)
      for (const a of last) this.deferRetry(a.path, new MyDropboxError('internal', `"${a.path}" kept changing while it was synced.`));
    if (this.dirtyLocal.size > 0) this.retryUnsettledSoon();
    this.offlineAttempts = 0;
    this.tellNotSynced();
    this.settleStatus();
  }

  /**
   * The status after a pass: up to date only when nothing is pending, waiting to be tried again or
   * failing, and the trees are fresh (a full pass owed after an outage keeps the offline status).
   */
  private settleStatus(): void {
    const failures = this.issues.failures;
    if (failures.size > 0) {
      const first = failures.values().next().value as NotSyncedItem;
      this.setStatus({ kind: 'error', message: `${failures.size} file(s) not synced: ${first.message}` });
    } else if (this.retryLater.size > 0) {
      const next = Math.min(...[...this.retryLater.values()].map((w) => w.at));
      const [, first] = this.retryLater.entries().next().value as [string, { reason: unknown }];
      this.setStatus({
        kind: 'syncing',
        pending: this.retryLater.size + this.dirtyLocal.size,
        retryAt: next,
        reason: first.reason instanceof Error ? first.reason.message : String(first.reason),
      });
    } else if (this.passOwed) {
      if (this.current.kind !== 'offline') this.setStatus({ kind: 'syncing', pending: this.dirtyLocal.size });
    } else if (this.dirtyLocal.size > 0 || this.dirtyRemote.size > 0 || this.dirtyPlan.size > 0) {
      this.setStatus({ kind: 'syncing', pending: this.dirtyLocal.size + this.dirtyRemote.size + this.dirtyPlan.size });
    } else {
      const skipped = this.issues.size;
      this.setStatus({ kind: 'upToDate', lastSyncAt: this.clock.now(), ...(skipped > 0 ? { notSynced: skipped } : {}) });
    }
  }

  /** `p` is tried again after its own backoff (a stalled or broken transfer, a plan that did not settle). */
  private deferRetry(p: string, reason: unknown): void {
    const attempts = (this.retryLater.get(p)?.attempts ?? 0) + 1;
    const delay = backoffDelay(attempts - 1, PATH_RETRY_BACKOFF);
    this.retryLater.set(p, { attempts, at: this.clock.now() + delay, reason });
    this.log(
      'warn',
      `"${p}" will be tried again in ${Math.round(delay / 100) / 10} s: ${reason instanceof Error ? reason.message : String(reason)}`,
    );
    this.armRetryLater();
  }

  private armRetryLater(): void {
    this.loop.cancel('retryLater');
    if (this.retryLater.size === 0 || this.stopped || this.halted || !this.started) return;
    const next = Math.min(...[...this.retryLater.values()].map((w) => w.at));
    this.loop.after('retryLater', Math.max(0, next - this.clock.now()), async () => {
      const now = this.clock.now();
      for (const [p, w] of this.retryLater) if (w.at <= now) this.dirtyPlan.add(p);
      this.schedule();
      this.armRetryLater();
    });
  }

  /** Logs what newly is not synced, and tells the host when the list changed. */
  private tellNotSynced(): void {
    if (!this.issues.changedSinceLastAsked()) return;
    const items = this.issues.items();
    for (const i of items) {
      const key = `${i.path}\n${i.message}`;
      if (!this.toldNotSynced.has(key) && i.reason !== 'failed') this.log('warn', `Not synced: ${displayPath(i.path)}: ${i.message}`);
    }
    this.toldNotSynced = new Set(items.map((i) => `${i.path}\n${i.message}`));
    this.opts.events?.notSynced?.(items);
  }

  /**
   * Re-reads the files the watcher or a failed step pointed at; unchanged stats cost no read. A path
   * below a link (or a folder that is now a file) is out of reach; a link or special file is listed, never read through.
   */
  private async refreshLocal(): Promise<void> {
    const paths = [...this.dirtyLocal];
    this.dirtyLocal.clear();
    await Promise.all(
      paths.map(async (p) => {
        this.issues.failures.delete(p);
        this.issues.writes.delete(p);
        this.issues.local.delete(p);
        if (!isValidPath(p) || this.rules.ignores(p)) return;
        const abs = absolute(this.folder, p);
        try {
          if (!(await checkParents(this.folder, p, false))) {
            this.local.delete(p);
            return;
          }
          const st = await fs.promises.lstat(abs).catch((err: NodeJS.ErrnoException) => {
            if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
            throw err;
          });
          if (!st || st.isDirectory()) {
            this.local.delete(p);
            // A file that became a folder: what is in it now is new here.
            if (st) for (const below of listFilesBelow(this.folder, p)) if (!this.local.has(below)) this.dirtyLocal.add(below);
            return;
          }
          if (!st.isFile()) {
            const reason = st.isSymbolicLink() ? 'symlink' : 'special';
            this.issues.local.set(p, { path: p, reason, message: describeLocal(reason) });
            return;
          }
          const h = await statAndHash(abs, this.local.get(p) ?? this.index!.get(p));
          if (h) this.local.set(p, h);
          else this.local.delete(p);
        } catch (err) {
          if (err instanceof FileChangingError) this.dirtyLocal.add(p);
          else if (err instanceof UnsafeLocalPathError) {
            if (err.what === 'a symbolic link')
              this.issues.local.set(err.at, { path: err.at, reason: 'symlink', message: describeLocal('symlink') });
            else this.local.delete(p); // a file where a folder was: what was below it is gone
          } else if (isAccessError(err)) this.issues.local.set(p, { path: p, reason: 'unreadable', message: describeLocal('unreadable') });
          else throw err;
        }
      }),
    );
  }

  private async refreshRemote(): Promise<void> {
    const paths = [...this.dirtyRemote];
    this.dirtyRemote.clear();
    await Promise.all(
      paths.map(async (p) => {
        try {
          const m = await this.remote.meta(p);
          const problem = serverEntryProblem(m);
          if (problem !== undefined || m.path !== p) {
            this.remoteTree.delete(p);
            this.badServerEntry(p, problem ?? 'the server answered for another path');
            return;
          }
          this.remoteTree.set(p, { size: m.size, contentHash: m.contentHash, rev: m.rev, mtime: m.modifiedAt });
        } catch (err) {
          if (!MyDropboxError.is(err, 'not_found')) {
            this.dirtyRemote.add(p);
            throw err;
          }
          this.remoteTree.delete(p);
        }
      }),
    );
  }

  /** Runs a pass; network trouble turns into the offline status and a retry with backoff, a revoked token into signed out. */
  private async guard(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.lastError = err;
      if (MyDropboxError.is(err, 'folder_unavailable')) this.halt(err);
      else if (isSignedOut(err)) this.halt(signedOutReason(err));
      else if (waitsForServer(err)) {
        this.passOwed = true;
        const delay = Math.max(backoffDelay(this.offlineAttempts++, OFFLINE_BACKOFF), serverAskedToWait(err));
        this.setStatus({ kind: 'offline', retryAt: this.clock.now() + delay, reason: err instanceof Error ? err.message : String(err) });
        this.log('warn', `Offline: ${err instanceof Error ? err.message : String(err)}; retrying in ${Math.round(delay / 100) / 10} s`);
        if (this.started && !this.stopped) {
          this.loop.after('offlineRetry', delay, () => this.fullPass());
        }
      } else {
        this.setStatus({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
        this.log('error', `Sync failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
      throw err;
    }
  }

  private retryUnsettledSoon(): void {
    if (!this.started || this.stopped || this.loop.armed('unsettled')) return;
    this.loop.after('unsettled', UNSETTLED_RETRY_MS, async () => this.schedule());
  }

  private async followFeed(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted && !this.stopped) {
      if (!this.cursor || this.paused || this.current.kind === 'offline') {
        await this.clock.sleep(200, signal);
        continue;
      }
      try {
        const res = await this.remote.changes(this.cursor, POLL_SECONDS, signal);
        if (failures > 0) {
          failures = 0;
          this.passOwed = true;
          this.requestFullPass(); // we may have missed changes while away
        }
        if (res.reset) {
          this.passOwed = true;
          this.cursor = undefined;
          this.requestFullPass();
          continue;
        }
        this.cursor = res.cursor;
        const changed = applyChanges(res.changes, this.remoteTree, this.tombstones, this.badServerEntry);
        if (changed.length) {
          for (const p of changed) this.dirtyPlan.add(p);
          this.opts.events?.pathsChanged?.(changed);
          this.schedule();
        }
      } catch (err) {
        if (signal.aborted) return;
        // Signed out while waiting for changes (the data server ends the poll then): stop, as a refused upload would.
        if (isSignedOut(err)) {
          this.lastError = err;
          this.halt(signedOutReason(err));
          return;
        }
        failures++;
        this.log('debug', `Change feed: ${err instanceof Error ? err.message : String(err)}`);
        await this.clock.sleep(backoffDelay(failures, OFFLINE_BACKOFF), signal);
      }
    }
  }

  private lastErrorCode(): MyDropboxError['code'] {
    return MyDropboxError.is(this.lastError) ? this.lastError.code : 'internal';
  }

  private setStatus(status: SyncStatus): void {
    if (this.paused && status.kind !== 'paused') return;
    if (JSON.stringify(status) === JSON.stringify(this.current)) return;
    this.current = status;
    this.opts.events?.status?.(status);
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.opts.events?.log?.(level, message);
  }
}

function isSignedOut(err: unknown): err is MyDropboxError {
  return err instanceof MyDropboxError && classify(err).kind === 'auth';
}

/** Why syncing stopped when the server refused this device, in words (hosts add how to sign in again). */
function signedOutReason(err: MyDropboxError): MyDropboxError {
  return new MyDropboxError(
    err.code,
    "This device was signed out of MyDropbox (on the website's Devices page, or by signing out elsewhere), so syncing stopped. " +
      'Nothing was deleted: the files here are left as they are.',
    { signedOut: true, server: err.message },
  );
}

/** The server's 409 for a file where it has a folder, or below one of its files (no current revision: nothing at that path). */
function isShapeClash(err: unknown): boolean {
  return MyDropboxError.is(err, 'conflict') && err.details?.currentRev === null;
}

/** A transfer that went silent or broke mid-way (remote.ts): that path's trouble, retried on its own. */
function isStall(err: unknown): boolean {
  return MyDropboxError.is(err) && err.details?.stalled === true;
}

/** The server or the network is away, or the server asked to try later: the whole pass waits and is tried again. */
function waitsForServer(err: unknown): boolean {
  const { kind } = classify(err);
  return kind === 'offline' || kind === 'retry';
}

/** The wait the server asked for (Retry-After), or 0. */
function serverAskedToWait(err: unknown): number {
  const c = classify(err);
  return c.kind === 'retry' ? (c.afterMs ?? 0) : 0;
}

/** Whether any of `paths` is a file in `folder` (looked at until the first found, at most a thousand). */
function holdsAnyOf(folder: string, paths: Iterable<string>): boolean {
  let looked = 0;
  for (const p of paths) {
    if (fs.lstatSync(absolute(folder, p), { throwIfNoEntry: false })?.isFile()) return true;
    if (++looked >= 1000) return false;
  }
  return false;
}

/** Files below a folder that just appeared (moved in as a whole), as relative paths. */
function listFilesBelow(folder: string, dirRel: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(absolute(folder, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.isFile()) out.push(child);
    }
  };
  walk(dirRel);
  return out;
}
