// Folders as data: an empty folder made on one side appears on the other, and a folder removed on one side goes on the other. Pure: no disk, no network.
//
// Files imply their folders on both sides, so only what files do not say is planned here: a folder
// with nothing in it (made here, or on the website, over WebDAV, on another device) and a folder
// removed. Three sets as for files: the folders here, the server's (its explicit folders and those its
// files imply) and the folders both last agreed on (kept in the state directory).

export type FolderAction =
  /** The server has it (made elsewhere): made here. */
  | { kind: 'mkdirLocal'; path: string }
  /** Made here with nothing in it (or emptied here and kept): made on the server. */
  | { kind: 'createRemote'; path: string }
  /** The server no longer has it: removed here if it is empty (files in it are the file planner's). */
  | { kind: 'rmdirLocal'; path: string }
  /** Removed here: removed on the server, which holds nothing in it (no file, no folder made there since). */
  | { kind: 'deleteRemote'; path: string }
  /** Both sides agree: `present` records it as synced, or forgets it. */
  | { kind: 'record'; path: string; present: boolean };

export interface FolderTrees {
  /** Folders here (all, at any depth). */
  local: ReadonlySet<string>;
  /** The server's folders: explicit ones and those its files imply. */
  remote: ReadonlySet<string>;
  /** The server's explicit folders (only these can be deleted there; an implied one goes with its files). */
  explicit: ReadonlySet<string>;
  synced: ReadonlySet<string>;
  /** Nothing to sync is below it here (no file, no folder). */
  emptyHere(path: string): boolean;
  /** The server has a file below it. */
  filesThere(path: string): boolean;
  /** Folders this device emptied on the server itself (it deleted their last files) and still has: kept there. */
  keepThere: ReadonlySet<string>;
  /** Left alone: a file of that name on either side (the file planner's shape rules), ignored, or blocked by a link. */
  skip(path: string): boolean;
}

export function planFolders(t: FolderTrees): FolderAction[] {
  const actions: FolderAction[] = [];
  const paths = [...new Set([...t.local, ...t.remote, ...t.synced, ...t.keepThere])].sort();
  for (const p of paths) {
    if (t.skip(p)) continue;
    const here = t.local.has(p);
    const there = t.remote.has(p);
    const synced = t.synced.has(p);
    if (here && there) {
      if (!synced) actions.push({ kind: 'record', path: p, present: true });
    } else if (here) {
      if (t.keepThere.has(p) || (!synced && t.emptyHere(p))) actions.push({ kind: 'createRemote', path: p });
      else if (synced) actions.push({ kind: 'rmdirLocal', path: p });
      // New here with files in it: the uploads imply it.
    } else if (there) {
      if (!synced) actions.push({ kind: 'mkdirLocal', path: p });
      else if (t.explicit.has(p) && !t.filesThere(p) && !newFolderBelow(t, p)) actions.push({ kind: 'deleteRemote', path: p });
      // Implied by files (their deletes go first), or something new there: it stays until that is settled.
    } else if (synced) actions.push({ kind: 'record', path: p, present: false });
  }
  // Made top down (path order), removed bottom up.
  const removing = (x: FolderAction) => x.kind === 'rmdirLocal' || x.kind === 'deleteRemote';
  const depth = (p: string) => p.split('/').length;
  return [...actions.filter((a) => !removing(a)), ...actions.filter(removing).sort((a, b) => depth(b.path) - depth(a.path))];
}

/** An explicit folder below `p` on the server that was never synced: made there since, so `p` is not removed. */
function newFolderBelow(t: FolderTrees, p: string): boolean {
  const prefix = `${p}/`;
  for (const e of t.explicit) if (e.startsWith(prefix) && !t.synced.has(e)) return true;
  return false;
}
