// The passes: a full pass (scan + listing), an incremental one (what is dirty), both ending in reconcile (plan + execute rounds).
import { classify, isValidPath, MyDropboxError } from '@mydropbox/shared';
import { backoffDelay } from './remote';
import { statOf } from './hasher';
import { ancestorsOf, plan, pendingCount, type Action } from './planner';
import { CompactTree } from './compactTree';
import { applySnapshot, catchUp, fetchRemote } from './remoteTree';
import type { NotSyncedItem } from './notSynced';
import { halt, isSignedOut, signedOutReason } from './lifecycle';
import { refreshRemote } from './refresh';
import { armRetryLater, deferRetry, retryAllNow, settleStatus, tellNotSynced } from './passOutcome';
import type { EngineState } from './engineState';
import { believeFolder, syncFolders } from './folderSync';

/** Plan-execute rounds per pass: a conflict needs two (move aside + download, then upload the copy). */
const MAX_ROUNDS = 6;
/** A file still being written is looked at again after this long. */
export const UNSETTLED_RETRY_MS = 100;
export const OFFLINE_BACKOFF = { baseDelayMs: 500, maxDelayMs: 15_000 };

export async function fullPass(s: EngineState): Promise<void> {
  if (s.paused || s.stopped || s.halted) return;
  const index = s.index!;
  await guard(s, async () => {
    // Never read a missing or replaced folder as "everything was deleted".
    s.io.checkFolder(s);
    s.rules = await s.io.loadRules(s);
    // The first pass after a start may replay the feed from the index's cursor instead of listing everything.
    const firstPass = s.cursor === undefined;
    const listing = s.io.identity(s).then((id) => {
      s.feedIdentity = id;
      return fetchRemote(s.server, firstPass && index.cursor?.server === id ? index.cursor.cursor : undefined);
    });
    listing.catch(() => undefined); // awaited below; the scan's result is kept even when offline
    const folders = s.server.folders().then(
      (list) => list.map((f) => f.path),
      (err: unknown) => (MyDropboxError.is(err, 'not_found') ? undefined : Promise.reject(err)), // a server without folders
    );
    folders.catch(() => undefined);
    const scan = await s.io.scan(s);
    s.local = scan.files;
    s.localFolders = new Set(scan.folders);
    restatUnchanged(s);
    index.settleReceiving((p) => s.local.get(p));
    // No download runs during a full pass, so any temp file of ours is a leftover from a crash.
    await s.io.removeStrayTemps(scan.strayTemps);
    s.issues.local.clear();
    s.issues.writes.clear();
    for (const item of scan.skipped) s.issues.local.set(item.path, item);
    const snapshot = await listing;
    const explicit = await folders;
    s.foldersKnown = explicit !== undefined;
    s.remoteFolders = new Set((explicit ?? []).filter((p) => believeFolder(s, p)));
    s.foldersDirty = true;
    if ('files' in snapshot) s.issues.server.clear();
    applySnapshot(snapshot, s.remoteTree, s.tombstones, index.tree, s.badServerEntry);
    s.cursor = snapshot.cursor;
    s.passOwed = false;
    retryAllNow(s);
    index.settleSending((p) => s.remoteTree.get(p));
    s.issues.failures.clear();
    for (const p of scan.unsettled) s.dirtyLocal.add(p);
    s.opts.events?.pathsChanged?.(undefined);
    await reconcile(s, pathsToPlan(s));
    saveCursorIfInSync(s);
    index.flush();
    s.opts.events?.pathsChanged?.(undefined);
  });
}

/**
 * Files the scan read again and found unchanged (touched, or racily clean when last hashed): their new
 * stat goes into the index, so the next scan trusts it instead of reading them once more.
 */
export function restatUnchanged(s: EngineState): void {
  const index = s.index!;
  for (const p of s.local.ownKeys()) {
    const synced = index.get(p);
    if (!synced) continue;
    const l = s.local.get(p)!;
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
export function pathsToPlan(s: EngineState): Set<string> {
  const index = s.index!;
  const synced = index.tree;
  const paths = new Set<string>();
  for (const p of index.keys()) if (!s.local.inSync(p, s.remoteTree, synced)) paths.add(p);
  for (const p of s.local.ownKeys()) if (!index.has(p)) paths.add(p); // a marked path is in the index by definition
  for (const p of s.remoteTree.keys()) if (!index.has(p)) paths.add(p);
  return paths;
}

/** When the server holds exactly the synced index, the next start needs only the feed since now (remoteTree.ts). */
export function saveCursorIfInSync(s: EngineState): void {
  if (s.index && s.cursor !== undefined && s.feedIdentity !== undefined && CompactTree.sameContentAndRevisions(s.remoteTree, s.index.tree))
    s.index.saveCursor(s.cursor, s.feedIdentity);
}

export async function incrementalPass(s: EngineState): Promise<void> {
  if (s.paused || s.stopped || s.halted || !s.index) return;
  // No server tree yet (no full pass has listed it since the start, or the feed was reset): planned against it,
  // every file would look deleted there. The full pass owed looks at the dirty paths too.
  if (s.cursor === undefined) return;
  if (s.dirtyLocal.size + s.dirtyRemote.size + s.dirtyPlan.size === 0 && !s.foldersDirty) return;
  await guard(s, () => reconcile(s, new Set()));
}

/** Refresh what is dirty, then plan and execute the given paths until nothing is left to do. */
export async function reconcile(s: EngineState, paths: Set<string>): Promise<void> {
  const index = s.index!;
  let settled = false;
  let last: readonly Action[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const now = s.clock.now();
    // Whatever the watcher or the feed reported meanwhile joins this pass rather than waiting for the next.
    for (const p of [...s.dirtyLocal, ...s.dirtyRemote]) paths.add(p);
    await s.io.refreshLocal(s);
    await refreshRemote(s);
    // Taken after the refresh: a folder found at a file's name puts the files known below it here (refresh.ts).
    for (const p of s.dirtyPlan) paths.add(p);
    s.dirtyPlan.clear();
    const synced = index.tree;
    // A file where the other side has a folder is found from the path below it (planner.resolveShapes): its folders join the plan.
    for (const p of [...paths])
      for (const up of ancestorsOf(p)) if (s.local.has(up) || s.remoteTree.has(up) || index.has(up)) paths.add(up);
    const candidates = [...paths].filter(
      // A path in the synced index passed this check before it got there; only new paths (the server's included) are validated.
      (p) =>
        !s.dirtyLocal.has(p) &&
        !s.issues.failures.has(p) &&
        // What the planner would skip anyway (all three agree), told from the raw hashes without building entries.
        !s.local.inSync(p, s.remoteTree, synced) &&
        (index.has(p) || isValidPath(p)) &&
        !s.rules.ignores(p) &&
        // A link, special or unreadable file or folder here (or above): nothing at or below it is written or deleted.
        !s.issues.blocks(p) &&
        !((s.retryLater.get(p)?.at ?? 0) > now),
    );
    const actions = plan(s.local, s.remoteTree, index.tree, now, { deviceName: s.deviceName, paths: candidates });
    if (actions.length === 0) {
      settled = true;
      // A path whose retry came due and that needs nothing now (done elsewhere, or gone on both sides) waits no more:
      // left in the list, it kept the status short of up to date and its timer firing at once, for ever.
      let cleared = false;
      for (const p of paths) if ((s.retryLater.get(p)?.at ?? Infinity) <= now) cleared = s.retryLater.delete(p) || cleared;
      if (cleared) armRetryLater(s);
      // What is left was held back by the planner until a name clears (a file below a file on the other side whose
      // own step is not due yet): kept marked, so the pass that clears the name plans it too. Dropped, it waited for
      // the next full pass while the status said up to date.
      for (const p of candidates) if (s.local.has(p) || s.remoteTree.has(p) || index.has(p)) s.dirtyPlan.add(p);
      break;
    }
    last = actions;
    // The folder is still the one synced (its marker is there) before anything is written or deleted.
    s.io.checkFolder(s);
    s.setStatus({ kind: 'syncing', pending: pendingCount(actions) });
    const report = await s.io.execute(
      {
        folder: s.folder,
        remote: s.remote,
        index,
        local: s.local,
        remoteTree: s.remoteTree,
        tombstones: s.tombstones,
        onConflict: (info) => {
          s.log('warn', `Conflict: "${info.path}" changed here and on the server; your version is kept as "${info.conflictPath}".`);
          s.opts.events?.conflict?.(info);
        },
        onProgress: (remaining) => s.setStatus({ kind: 'syncing', pending: remaining }),
        activity: s.activity,
        keepFolder: (p) => s.remoteFolders.has(p),
        onDeletedThere: (p) => {
          const parent = ancestorsOf(p).at(-1);
          if (parent !== undefined) s.keepThere.add(parent);
        },
      },
      actions,
    );
    for (const p of report.touched) paths.add(p);
    // A delete can leave a folder empty (kept here, or gone there); uploads and downloads only fill folders the files imply.
    if (actions.some((a) => a.kind !== 'upload' && a.kind !== 'download' && a.kind !== 'updateSynced')) s.foldersDirty = true;
    const retries: [string, unknown][] = [];
    let anyDone = false;
    for (const [p, outcome] of report.outcomes) {
      if (outcome === 'done') {
        anyDone = true;
        s.retryLater.delete(p);
      } else if (outcome === 'localChanged') s.dirtyLocal.add(p);
      else if (outcome === 'remoteChanged') {
        s.dirtyRemote.add(p);
        // The server refused a file where it has a folder, or below one of its files: look at both again.
        if (isShapeClash(report.errors.get(p))) {
          for (const up of ancestorsOf(p)) s.dirtyRemote.add(up);
          for (const below of s.remoteTree.keys()) if (below.startsWith(`${p}/`)) paths.add(below);
        }
      } else if (outcome === 'retry') retries.push([p, report.errors.get(p)]);
      else if (outcome === 'refused') {
        const message = String((report.errors.get(p) as Error).message);
        s.issues.writes.set(p, { path: p, reason: 'linkInPath', message });
      } else if (outcome === 'failed') {
        const err = report.errors.get(p);
        s.lastError = err;
        const message = err instanceof Error ? err.message : String(err);
        s.issues.failures.set(p, { path: p, reason: 'failed', message });
        s.log('error', `Cannot sync "${p}": ${message}`);
      }
    }
    if (retries.length > 0) {
      // The server answered others, or the transfer itself went silent or broke: these paths wait their own
      // backoff while the rest syncs on. Nothing answered at all: the engine is offline.
      if (!anyDone && !retries.every(([, err]) => isStall(err))) throw retries[0]![1];
      for (const [p, err] of retries) deferRetry(s, p, err);
    }
  }
  // Still not settled after every round (a plan that keeps changing under it): those paths wait and are looked at again.
  // The rest of what the pass held (conflicted copies it made, paths waiting for a name to clear) goes on in the next
  // pass: dropped, they waited for the next full pass while the status said up to date.
  if (!settled) {
    const deferred = new Set(last.map((a) => a.path));
    for (const p of deferred) deferRetry(s, p, new MyDropboxError('internal', `"${p}" kept changing while it was synced.`));
    for (const p of paths) if (!deferred.has(p) && !s.local.inSync(p, s.remoteTree, index.tree)) s.dirtyPlan.add(p);
    if (s.dirtyPlan.size > 0) s.schedule();
  }
  if (s.foldersDirty && s.foldersKnown) await syncFolders(s);
  if (s.dirtyLocal.size > 0) retryUnsettledSoon(s);
  s.offlineAttempts = 0;
  tellNotSynced(s);
  settleStatus(s);
}

/** One full pass both ways, then the files still being written once they settle; throws why it is not in sync. */
export async function syncOnce(s: EngineState): Promise<void> {
  await s.loop.run(() => fullPass(s));
  if (s.halted) throw s.halted;
  for (let wait = 0; s.dirtyLocal.size > 0 && wait < 50; wait++) {
    await s.clock.sleep(UNSETTLED_RETRY_MS);
    await s.loop.run(() => incrementalPass(s));
  }
  if (s.dirtyLocal.size > 0)
    throw new MyDropboxError('invalid_request', `Still being written, not synced yet: ${[...s.dirtyLocal].slice(0, 5).join(', ')}`);
  const failures = s.issues.failures;
  if (failures.size > 0) {
    const first = failures.values().next().value as NotSyncedItem;
    throw new MyDropboxError(s.lastErrorCode(), `${failures.size} file(s) not synced; "${first.path}": ${first.message}`);
  }
  if (s.retryLater.size > 0) {
    const [p, { reason }] = s.retryLater.entries().next().value as [string, { reason: unknown }];
    throw new MyDropboxError(
      'server_unavailable',
      `${s.retryLater.size} file(s) could not be transferred yet; "${p}": ${reason instanceof Error ? reason.message : String(reason)}`,
    );
  }
}

/** At stop: the cursor saved when the server holds exactly what was synced, so the next start replays only the feed since. */
export async function saveCursorAtStop(s: EngineState): Promise<void> {
  // `sync --once` never followed the feed: its cursor is from before its own commits, which the next
  // start would replay (or list again past 20,000). Catch up first; a change from elsewhere keeps the trees apart, so no save.
  if (!s.halted && !s.feedDone && s.cursor !== undefined && s.index)
    s.cursor = await catchUp(s.server, s.cursor, s.remoteTree, s.tombstones);
  if (!s.halted) saveCursorIfInSync(s);
}

/** Runs a pass; network trouble turns into the offline status and a retry with backoff, a revoked token into signed out. */
export async function guard(s: EngineState, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    s.lastError = err;
    if (MyDropboxError.is(err, 'folder_unavailable')) halt(s, err);
    else if (isSignedOut(err)) halt(s, signedOutReason(err));
    else if (waitsForServer(err)) {
      s.passOwed = true;
      const delay = Math.max(backoffDelay(s.offlineAttempts++, OFFLINE_BACKOFF), serverAskedToWait(err));
      s.setStatus({ kind: 'offline', retryAt: s.clock.now() + delay, reason: err instanceof Error ? err.message : String(err) });
      s.log('warn', `Offline: ${err instanceof Error ? err.message : String(err)}; retrying in ${Math.round(delay / 100) / 10} s`);
      if (s.started && !s.stopped) {
        s.loop.after('offlineRetry', delay, () => fullPass(s));
      }
    } else {
      s.setStatus({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
      s.log('error', `Sync failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    throw err;
  }
}

export function retryUnsettledSoon(s: EngineState): void {
  if (!s.started || s.stopped || s.loop.armed('unsettled')) return;
  s.loop.after('unsettled', UNSETTLED_RETRY_MS, async () => s.schedule());
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
