// Opening and letting go of a folder's sync state, and stopping for good (folder gone or replaced, device signed out).
import fs from 'node:fs';
import { classify, MyDropboxError } from '@mydropbox/shared';
import { SyncedIndex } from './syncedIndex';
import { acquireStateLock } from './stateLock';
import { absolute } from './transfer';
import { LocalTree } from './localTree';
import { openSyncedFolder } from './folderMarker';
import { checkStateOwner, readStateIdentity, resetState, writeStateIdentity } from './stateDir';
import type { EngineState } from './engineState';
import { loadSyncedFolders } from './syncedFolders';

/**
 * Takes the state directory's lock, checks the state is this server's and folder's, and that the
 * folder is the one it synced (its marker; made with the folder at a first sync). Throws
 * `folder_unavailable` when it is not: nothing may be deleted on the strength of that state.
 */
export function open(s: EngineState): void {
  if (s.halted) throw s.halted;
  if (s.index) return;
  const stateDir = s.opts.stateDir;
  const release = acquireStateLock(stateDir);
  let index: SyncedIndex | undefined;
  try {
    const owner = { serverUrl: s.opts.session.serverUrl, folder: s.folder };
    if (s.opts.reset) resetState(stateDir);
    const identity = checkStateOwner(stateDir, owner);
    index = SyncedIndex.open(stateDir);
    const opened = index;
    s.folderId = openSyncedFolder(s.folder, {
      firstSync: opened.size === 0,
      knownId: identity?.folderId,
      holdsAnySyncedFile: () => holdsAnyOf(s.folder, opened.keys()),
    });
    if (identity?.folderId !== s.folderId)
      writeStateIdentity(stateDir, { ...owner, username: identity?.username ?? '', folderId: s.folderId });
  } catch (err) {
    index?.close();
    release();
    throw err;
  }
  s.releaseLock = release;
  s.index = index;
  s.local = new LocalTree(index.tree);
  s.syncedFolders = loadSyncedFolders(stateDir);
  // Index entries change only inside the loop's steps after the scan (never during one), so pinning the current tree is enough.
  index.beforeChange = (p) => s.local.pin(p);
}

/** Closes the index and lets go of the state directory (at stop, or once syncing stopped by itself). */
export function releaseState(s: EngineState): void {
  s.index?.close();
  s.releaseLock?.();
  s.releaseLock = undefined;
}

/**
 * Syncing this folder stops for good (until started again): the folder is missing or replaced, or the
 * device was signed out. Nothing more is planned or deleted; the lock is released once the step that
 * found it has unwound.
 */
export function halt(s: EngineState, reason: MyDropboxError): void {
  if (s.halted) return;
  s.halted = reason;
  s.loop.stop();
  s.feedAbort?.abort();
  void s.watcher?.close();
  const signedOut = reason.code !== 'folder_unavailable';
  s.paused = false;
  s.setStatus(signedOut ? { kind: 'signedOut' } : { kind: 'error', message: reason.message, stopped: true });
  s.log(signedOut ? 'warn' : 'error', reason.message);
  void s.loop.run(async () => releaseState(s)).then(() => s.opts.events?.stopped?.(reason));
}

/** The account the access token is for must be the one this state was synced for (a state directory used by another host's naming). */
export function checkAccount(s: EngineState, identity: string): void {
  let sub: unknown;
  try {
    sub = (JSON.parse(identity) as unknown[])[1];
  } catch {
    return;
  }
  if (typeof sub !== 'string') return;
  const owner = { serverUrl: s.opts.session.serverUrl, folder: s.folder, username: sub };
  const recorded = readStateIdentity(s.opts.stateDir);
  if (recorded?.username) checkStateOwner(s.opts.stateDir, owner);
  else writeStateIdentity(s.opts.stateDir, { ...owner, folderId: s.folderId });
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

export function isSignedOut(err: unknown): err is MyDropboxError {
  return err instanceof MyDropboxError && classify(err).kind === 'auth';
}

/** Why syncing stopped when the server refused this device, in words (hosts add how to sign in again). */
export function signedOutReason(err: MyDropboxError): MyDropboxError {
  return new MyDropboxError(
    err.code,
    "This device was signed out of MyDropbox (on the website's Devices page, or by signing out elsewhere), so syncing stopped. " +
      'Nothing was deleted: the files here are left as they are.',
    { signedOut: true, server: err.message },
  );
}

/** Opens the state (open()); a folder found missing or replaced stops syncing for good. */
export function openOrHalt(s: EngineState): void {
  try {
    open(s);
  } catch (err) {
    if (MyDropboxError.is(err, 'folder_unavailable')) halt(s, err);
    throw err;
  }
}
