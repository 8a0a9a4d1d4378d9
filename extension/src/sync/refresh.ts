// What the watcher and failed steps point at, read again: local files from the folder, server entries from the server.
import fs from 'node:fs';
import path from 'node:path';
import { isValidPath, MyDropboxError } from '@mydropbox/shared';
import { IgnoreRules, IGNORE_FILE } from './ignore';
import { statAndHash, isAccessError } from './scanner';
import { FileChangingError } from './hasher';
import type { WatchBatch } from './watcher';
import { absolute } from './transfer';
import { describeLocal } from './notSynced';
import { checkParents, serverEntryProblem, UnsafeLocalPathError } from './pathSafety';
import { recordAnswer, recordGone, remoteEntryOf } from './changeFeed';
import type { EngineState } from './engineState';
import { onFolderEvent } from './folderSync';
import { listBelow } from './dirLister';

export function onWatch(s: EngineState, batch: WatchBatch): void {
  if (s.halted || !s.index) return;
  if (batch.files.has(IGNORE_FILE))
    s.rules = IgnoreRules.fromText(
      fs.existsSync(path.join(s.folder, IGNORE_FILE)) ? fs.readFileSync(path.join(s.folder, IGNORE_FILE), 'utf8') : '',
    );
  for (const f of batch.files) s.dirtyLocal.add(f);
  for (const d of batch.dirs) {
    // A folder added or removed as a whole: look at everything we knew below it, and what is there now,
    // and at the name itself (a file that was there, or is now).
    s.dirtyLocal.add(d);
    const below = listBelow(s.folder, d); // one walk for the folders and the files
    onFolderEvent(s, d, below.folders);
    for (const p of [...s.local.keys(), ...s.index!.keys()]) if (p.startsWith(d + '/')) s.dirtyLocal.add(p);
    for (const p of below.files) s.dirtyLocal.add(p);
  }
  // New ignore rules or a whole folder can change any path's state below it.
  s.opts.events?.pathsChanged?.(batch.dirs.size || batch.files.has(IGNORE_FILE) ? undefined : [...batch.files]);
  s.schedule();
}

/**
 * Re-reads the files the watcher or a failed step pointed at; unchanged stats cost no read. A path
 * below a link (or a folder that is now a file) is out of reach; a link or special file is listed, never read through.
 */
export async function refreshLocal(s: EngineState): Promise<void> {
  const paths = [...s.dirtyLocal];
  s.dirtyLocal.clear();
  await Promise.all(
    paths.map(async (p) => {
      s.issues.failures.delete(p);
      s.issues.writes.delete(p);
      s.issues.local.delete(p);
      if (!isValidPath(p) || s.rules.ignores(p)) return;
      const abs = absolute(s.folder, p);
      try {
        if (!(await checkParents(s.folder, p, false))) {
          s.local.delete(p);
          return;
        }
        const st = await fs.promises.lstat(abs).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
          throw err;
        });
        if (!st || st.isDirectory()) {
          s.local.delete(p);
          // A folder at the name (a file that became one, or a download that found one): what is new in it is read,
          // and the files known there join the next round too, so the plan holds them with the name and resolves the clash.
          if (st) for (const below of listBelow(s.folder, p).files) (s.local.has(below) ? s.dirtyPlan : s.dirtyLocal).add(below);
          return;
        }
        if (!st.isFile()) {
          const reason = st.isSymbolicLink() ? 'symlink' : 'special';
          s.issues.local.set(p, { path: p, reason, message: describeLocal(reason) });
          return;
        }
        const h = await statAndHash(abs, s.local.get(p) ?? s.index!.get(p));
        // The executable bit is part of the file (a chmod moves the ctime, so it is read here again).
        if (h) s.local.set(p, { ...h, ...((st.mode & 0o100) !== 0 ? { executable: true } : { executable: undefined }) });
        else s.local.delete(p);
      } catch (err) {
        if (err instanceof FileChangingError) s.dirtyLocal.add(p);
        else if (err instanceof UnsafeLocalPathError) {
          if (err.what === 'a symbolic link')
            s.issues.local.set(err.at, { path: err.at, reason: 'symlink', message: describeLocal('symlink') });
          else s.local.delete(p); // a file where a folder was: what was below it is gone
        } else if (isAccessError(err)) s.issues.local.set(p, { path: p, reason: 'unreadable', message: describeLocal('unreadable') });
        else throw err;
      }
    }),
  );
}

export async function refreshRemote(s: EngineState): Promise<void> {
  const paths = [...s.dirtyRemote];
  s.dirtyRemote.clear();
  await Promise.all(
    paths.map(async (p) => {
      const knownRev = s.remoteTree.get(p)?.rev ?? 0;
      try {
        const m = await s.server.meta(p);
        const problem = serverEntryProblem(m);
        if (problem !== undefined || m.path !== p) {
          s.remoteTree.delete(p);
          s.badServerEntry(p, problem ?? 'the server answered for another path');
          return;
        }
        recordAnswer(s.remoteTree, s.tombstones, p, remoteEntryOf(m));
      } catch (err) {
        if (!MyDropboxError.is(err, 'not_found')) {
          s.dirtyRemote.add(p);
          throw err;
        }
        recordGone(s.remoteTree, s.tombstones, p, undefined, knownRev);
      }
    }),
  );
}
