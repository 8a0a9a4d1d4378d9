// The engine's folder step: empty folders made and folders removed both ways (folderPlanner.ts decides), after a pass's files.
import fs from 'node:fs';
import { isValidPath, MyDropboxError } from '@mydropbox/shared';
import { ancestorsOf } from './planner';
import { planFolders, type FolderAction } from './folderPlanner';
import { saveSyncedFolders } from './syncedFolders';
import { checkSyncedFolder } from './folderMarker';
import { checkParents, UnsafeLocalPathError } from './pathSafety';
import { absolute } from './transfer';
import { displayPath } from './notSynced';
import type { EngineState } from './engineState';

/** The change feed carries files only, so a folder made empty elsewhere is learnt from a poll of the (short) folder list. */
export const FOLDER_POLL_MS = 30_000;

/** Runs the folder step: the files imply every other folder, so this plans only empty folders and removals. */
export async function syncFolders(s: EngineState): Promise<void> {
  s.foldersDirty = false;
  const index = s.index!;
  // Never read a missing or replaced folder as "every folder was removed".
  checkSyncedFolder(s.folder, s.folderId);
  const filesThere = new Set<string>();
  for (const p of s.remoteTree.keys()) for (const up of ancestorsOf(p)) filesThere.add(up);
  const remote = new Set(filesThere);
  for (const f of s.remoteFolders) for (const p of [...ancestorsOf(f), f]) remote.add(p);
  const notEmptyHere = new Set<string>();
  for (const p of s.local.keys()) for (const up of ancestorsOf(p)) notEmptyHere.add(up);
  for (const f of s.localFolders) for (const up of ancestorsOf(f)) notEmptyHere.add(up);
  const actions = planFolders({
    local: s.localFolders,
    remote,
    explicit: s.remoteFolders,
    synced: s.syncedFolders,
    emptyHere: (p) => !notEmptyHere.has(p),
    filesThere: (p) => filesThere.has(p),
    keepThere: s.keepThere,
    skip: (p) => s.local.has(p) || s.remoteTree.has(p) || index.has(p) || !isValidPath(p) || s.rules.ignores(p, true) || s.issues.blocks(p),
  });
  s.keepThere.clear();
  let changed = false;
  for (const a of actions) {
    try {
      changed = (await runFolderAction(s, a)) || changed;
    } catch (err) {
      if (err instanceof UnsafeLocalPathError) {
        s.issues.writes.set(a.path, { path: a.path, reason: 'linkInPath', message: err.message });
        continue;
      }
      if (MyDropboxError.is(err, 'conflict')) continue; // a file took the name meanwhile: the file planner's
      throw err;
    }
  }
  if (changed) saveSyncedFolders(s.opts.stateDir, s.syncedFolders);
}

/** One folder step; true when the synced folders changed. */
async function runFolderAction(s: EngineState, a: FolderAction): Promise<boolean> {
  switch (a.kind) {
    case 'record':
      if (a.present) s.syncedFolders.add(a.path);
      else s.syncedFolders.delete(a.path);
      return true;
    case 'mkdirLocal':
      await checkParents(s.folder, `${a.path}/-`, true); // makes it, and every folder above it, checked one level at a time
      // Its folders are the server's too (they hold it): both sides have them now.
      for (const p of [...ancestorsOf(a.path), a.path]) {
        s.localFolders.add(p);
        s.syncedFolders.add(p);
      }
      s.log('info', `Folder made here: ${displayPath(a.path)}`);
      return true;
    case 'createRemote':
      await s.server.createFolder(a.path);
      // The server made the folders above it too, and they are here (they hold it).
      for (const p of [...ancestorsOf(a.path), a.path]) {
        s.remoteFolders.add(p);
        s.syncedFolders.add(p);
      }
      return true;
    case 'rmdirLocal': {
      if (!(await checkParents(s.folder, a.path, false))) {
        s.localFolders.delete(a.path);
        s.syncedFolders.delete(a.path);
        return true;
      }
      const gone = await fs.promises.rmdir(absolute(s.folder, a.path)).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return true;
          if (err.code === 'ENOTEMPTY' || err.code === 'EEXIST' || err.code === 'ENOTDIR') return false; // something is in it: kept
          throw err;
        },
      );
      if (!gone) return false;
      s.localFolders.delete(a.path);
      s.syncedFolders.delete(a.path);
      s.log('info', `Folder removed here (removed on the server): ${displayPath(a.path)}`);
      return true;
    }
    case 'deleteRemote': {
      // Asked again just before: a server folder is deleted with what is in it, so only one seen empty is.
      const entry = await s.server.entries(a.path, 1).catch((err: unknown) => {
        if (MyDropboxError.is(err, 'not_found')) return undefined;
        throw err;
      });
      if (entry && entry.children.length > 0) return false;
      if (entry)
        await s.server.deleteFolder(a.path).catch((err: unknown) => {
          if (!MyDropboxError.is(err, 'not_found')) throw err;
        });
      for (const f of [...s.remoteFolders]) if (f === a.path || f.startsWith(`${a.path}/`)) s.remoteFolders.delete(f);
      s.syncedFolders.delete(a.path);
      return true;
    }
  }
}

/** A folder path from the server is believed only when it is a valid, normalised path; otherwise it is listed. */
export function believeFolder(s: EngineState, p: string): boolean {
  if (isValidPath(p) && p.normalize('NFC') === p) return true;
  s.badServerEntry(p, 'the server sent a folder path that is not valid');
  return false;
}

/** The feed said a folder was made or removed on the server (servers that put folders in the feed). */
export function onFolderChange(s: EngineState, p: string, deleted: boolean): void {
  if (!believeFolder(s, p)) return;
  if (deleted) s.remoteFolders.delete(p);
  else s.remoteFolders.add(p);
  s.foldersDirty = true;
  s.schedule();
}

/** The watcher saw folder `d` appear or go (`foldersBelow`: what a walk of it found): the folders here follow. */
export function onFolderEvent(s: EngineState, d: string, foldersBelow: readonly string[]): void {
  s.foldersDirty = true;
  if (fs.lstatSync(absolute(s.folder, d), { throwIfNoEntry: false })?.isDirectory()) {
    for (const f of [d, ...foldersBelow]) if (!s.rules.ignores(f, true)) s.localFolders.add(f);
  } else for (const f of [...s.localFolders]) if (f === d || f.startsWith(`${d}/`)) s.localFolders.delete(f);
}

/** Asks for the server's folders every so often while running; a change makes the folder step run. */
export function armFolderPoll(s: EngineState): void {
  if (s.stopped || s.halted || !s.started) return;
  s.loop.after('folderPoll', s.opts.folderPollMs ?? FOLDER_POLL_MS, async () => {
    try {
      if (!s.foldersKnown || s.paused || s.stopped || s.halted || s.current.kind === 'offline') return;
      const list = await s.server.folders().catch(() => undefined);
      if (!list) return;
      const now = new Set(list.map((f) => f.path).filter((p) => believeFolder(s, p)));
      if (now.size === s.remoteFolders.size && [...now].every((p) => s.remoteFolders.has(p))) return;
      s.remoteFolders = now;
      s.foldersDirty = true;
      s.schedule();
    } finally {
      armFolderPoll(s);
    }
  });
}
