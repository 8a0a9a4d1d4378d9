// The planner: compares the local, remote and last-synced trees and decides what to do. Pure: no disk, no network, no clock.
import { conflictedCopyPath } from './conflict';

/** What one side knows about one file. `rev` is the server's revision (remote and synced trees). */
export interface TreeEntry {
  size: number;
  mtime?: number;
  contentHash: string;
  rev?: number;
}

export type Tree = ReadonlyMap<string, TreeEntry>;

export type Action =
  /** Send the local file; `baseRev` is the server revision it replaces (null: a new file). */
  | { kind: 'upload'; path: string; local: TreeEntry; baseRev: number | null }
  /** Write the server's version here; `local` is what must still be on disk (undefined: nothing) or the write is skipped. */
  | { kind: 'download'; path: string; remote: TreeEntry; local?: TreeEntry }
  /** The file was deleted here: delete it on the server unless it changed there since `baseRev`. */
  | { kind: 'deleteRemote'; path: string; baseRev: number }
  /** The file was deleted on the server: delete it here unless it changed since `local`. */
  | { kind: 'deleteLocal'; path: string; local: TreeEntry }
  /** Both sides changed it differently: move the local one to `conflictPath`, then download the server's. */
  | { kind: 'conflict'; path: string; conflictPath: string; local: TreeEntry; remote: TreeEntry }
  /** Both sides already agree: record it as synced (null: gone on both). */
  | { kind: 'updateSynced'; path: string; entry: TreeEntry | null };

export interface PlanOptions {
  /** Goes into conflicted copies' names. */
  deviceName: string;
  /** Only look at these paths (what the watcher or the change feed reported); all paths when absent. */
  paths?: Iterable<string>;
}

function sameContent(a: TreeEntry | undefined, b: TreeEntry | undefined): boolean {
  return a === undefined ? b === undefined : b !== undefined && a.contentHash === b.contentHash;
}

/**
 * The server's copy is unchanged only if its revision is the one we synced: the same bytes under a new
 * revision may be a file deleted and put back, which a local delete must not silently remove again.
 */
function sameRevision(r: TreeEntry | undefined, s: TreeEntry | undefined): boolean {
  return sameContent(r, s) && (r === undefined || s === undefined || r.rev === undefined || s.rev === undefined || r.rev === s.rev);
}

/**
 * One step towards local = remote. Each action stands alone, so running any subset of them (a crash,
 * a 409, a file edited meanwhile) leaves trees from which the next call finishes the job.
 */
export function plan(local: Tree, remote: Tree, synced: Tree, now: number, options: PlanOptions): Action[] {
  const actions: Action[] = [];
  const reserved = new Set<string>();
  const taken = (candidate: string) => local.has(candidate) || remote.has(candidate) || synced.has(candidate) || reserved.has(candidate);
  const paths = options.paths ? new Set(options.paths) : new Set([...local.keys(), ...remote.keys(), ...synced.keys()]);

  for (const path of [...paths].sort()) {
    const l = local.get(path);
    const r = remote.get(path);
    const s = synced.get(path);
    const localChanged = !sameContent(l, s);
    const remoteChanged = !sameRevision(r, s);

    if (!localChanged && !remoteChanged) continue;
    if (sameContent(l, r)) {
      actions.push({ kind: 'updateSynced', path, entry: l && r ? { ...l, rev: r.rev } : null });
      continue;
    }
    if (localChanged && !remoteChanged) {
      if (l) actions.push({ kind: 'upload', path, local: l, baseRev: r?.rev ?? null });
      else if (r) actions.push({ kind: 'deleteRemote', path, baseRev: r.rev ?? 0 });
      continue;
    }
    if (remoteChanged && !localChanged) {
      if (r) actions.push({ kind: 'download', path, remote: r, ...(l ? { local: l } : {}) });
      else if (l) actions.push({ kind: 'deleteLocal', path, local: l });
      continue;
    }
    // Both changed, differently. An edit always beats a delete, so no edit is ever lost.
    if (!l && r) actions.push({ kind: 'download', path, remote: r });
    else if (l && !r) actions.push({ kind: 'upload', path, local: l, baseRev: null });
    else if (l && r) {
      const conflictPath = conflictedCopyPath(path, options.deviceName, now, taken);
      reserved.add(conflictPath);
      actions.push({ kind: 'conflict', path, conflictPath, local: l, remote: r });
    }
  }
  return actions;
}

/** How many files an action list will transfer or delete (what "syncing N files" counts). */
export function pendingCount(actions: readonly Action[]): number {
  return actions.filter((a) => a.kind !== 'updateSynced').length;
}
