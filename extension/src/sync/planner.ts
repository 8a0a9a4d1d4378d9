// The planner: compares the local, remote and last-synced trees and decides what to do. Pure: no disk, no network, no clock.
import { conflictedCopyPath } from './conflict';

/** What one side knows about one file. `rev` is the server's revision (remote and synced trees). */
export interface TreeEntry {
  size: number;
  mtime?: number;
  contentHash: string;
  rev?: number;
  /** The executable bit (absent: not executable): a change of it alone is a change of the file. */
  executable?: boolean;
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
  | { kind: 'updateSynced'; path: string; entry: TreeEntry | null }
  /**
   * The local file is where the server now has a folder (files below `path`) that stays: the file moves to
   * `conflictPath` (uploaded next round), so the folder can come down. One name, one thing; both kept.
   */
  | { kind: 'moveAside'; path: string; conflictPath: string; local: TreeEntry }
  /**
   * The server's file is where this device has a folder that stays: its bytes are written to
   * `conflictPath` (uploaded next round) and it is recorded as synced, so the next round deletes it on the
   * server and the folder can go up. Both kept.
   */
  | { kind: 'downloadAside'; path: string; conflictPath: string; remote: TreeEntry };

export interface PlanOptions {
  /** Goes into conflicted copies' names. */
  deviceName: string;
  /** Only look at these paths (what the watcher or the change feed reported); all paths when absent. */
  paths?: Iterable<string>;
}

function sameContent(a: TreeEntry | undefined, b: TreeEntry | undefined): boolean {
  return a === undefined
    ? b === undefined
    : b !== undefined && a.contentHash === b.contentHash && (a.executable === true) === (b.executable === true);
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
  const sorted = [...paths].sort();
  const conflictPathFor = (path: string) => {
    const conflictPath = conflictedCopyPath(path, options.deviceName, now, taken);
    reserved.add(conflictPath);
    return conflictPath;
  };

  for (const path of sorted) {
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
    else if (l && r) actions.push({ kind: 'conflict', path, conflictPath: conflictPathFor(path), local: l, remote: r });
  }
  return resolveShapes(actions, local, remote, paths, conflictPathFor);
}

/** `a/b/c` -> `a`, `a/b`. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  return out;
}

/**
 * A file on one side where the other side has a folder (files below the same name): a file replaced by a
 * folder or the other way round, maybe while another device edited. Where the plan removes the one in
 * the way (a delete of the file, or of the files below), `executionPhases` runs that delete first.
 * Where it keeps it (an edit beats a delete), the file in the way is kept under a conflicted copy's
 * name and the paths that clash wait for the next round:
 * - a download below a local file that stays: the local file moves aside (`moveAside`);
 * - an upload below a server file that stays: the server's file comes down aside (`downloadAside`).
 * The clash is found from the path below; its ancestor must be in the plan's paths (the engine adds
 * ancestors), else the path below waits.
 */
function resolveShapes(
  actions: Action[],
  local: Tree,
  remote: Tree,
  paths: ReadonlySet<string>,
  conflictPathFor: (path: string) => string,
): Action[] {
  const byPath = new Map(actions.map((a) => [a.path, a]));
  const replaced = new Map<string, Action>();
  const waiting = new Set<string>();
  for (const a of actions) {
    const putsLocal = a.kind === 'download' || a.kind === 'conflict';
    const putsRemote = a.kind === 'upload';
    if (!putsLocal && !putsRemote) continue;
    for (const up of ancestorsOf(a.path)) {
      const other = putsLocal ? local.get(up) : remote.get(up);
      if (other === undefined) continue;
      const there = replaced.get(up) ?? byPath.get(up);
      // The file in the way is deleted in this plan (first): nothing clashes.
      if (there?.kind === (putsLocal ? 'deleteLocal' : 'deleteRemote')) continue;
      waiting.add(a.path);
      if (!paths.has(up) || replaced.has(up)) continue;
      replaced.set(
        up,
        putsLocal
          ? { kind: 'moveAside', path: up, conflictPath: conflictPathFor(up), local: other }
          : { kind: 'downloadAside', path: up, conflictPath: conflictPathFor(up), remote: other },
      );
    }
  }
  if (waiting.size === 0 && replaced.size === 0) return actions;
  const out = actions.filter((a) => !waiting.has(a.path) && !replaced.has(a.path));
  return [...out, ...replaced.values()];
}

/**
 * The order a plan runs in: records first; then deletes that clear the way for a transfer (a file
 * deleted where a folder's files go, files deleted below where a file goes); then transfers; then the
 * other deletes last, so a rename's upload finds its blocks on the server before the old file goes.
 */
export function executionPhases(actions: readonly Action[]): {
  records: Action[];
  clearing: Action[];
  transfers: Action[];
  deletes: Action[];
} {
  const records: Action[] = [];
  const transfers: Action[] = [];
  const deletes: Action[] = [];
  for (const a of actions) {
    if (a.kind === 'updateSynced') records.push(a);
    else if (a.kind === 'deleteLocal' || a.kind === 'deleteRemote') deletes.push(a);
    else transfers.push(a);
  }
  if (deletes.length === 0 || transfers.length === 0) return { records, clearing: [], transfers, deletes };
  const transferPaths = new Set(transfers.map((a) => a.path));
  const aboveTransfers = new Set(transfers.flatMap((a) => ancestorsOf(a.path)));
  const clears = (a: Action) => aboveTransfers.has(a.path) || ancestorsOf(a.path).some((p) => transferPaths.has(p));
  return { records, clearing: deletes.filter(clears), transfers, deletes: deletes.filter((a) => !clears(a)) };
}

/** How many files an action list will transfer or delete (what "syncing N files" counts). */
export function pendingCount(actions: readonly Action[]): number {
  return actions.filter((a) => a.kind !== 'updateSynced').length;
}
