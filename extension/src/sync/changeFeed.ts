// Follows the data server's change feed (long-poll) and folds each change into the remote tree.
import type { Change, FileEntry } from '@mydropbox/shared';
import type { RemoteEntry } from './executor';
import { serverEntryProblem } from './pathSafety';

/** Told about each entry from the server that cannot be believed (left out; the rest is applied). */
export type BadEntryReport = (path: unknown, problem: string) => void;

/** How long the server may hold one poll; short enough that a dead connection is noticed soon. */
export const POLL_SECONDS = 25;

/**
 * Applies feed entries to the remote tree. An entry older than what we already know (our own commit's
 * answer, or a listing taken later) is dropped, so a late feed page never rolls a file back.
 * Returns the paths whose entry changed.
 */
export function applyChanges(
  changes: readonly Change[],
  tree: Map<string, RemoteEntry>,
  tombstones: Map<string, number>,
  onBad?: BadEntryReport,
  onFolder?: (path: string, deleted: boolean) => void,
): string[] {
  const changed: string[] = [];
  for (const c of changes) {
    // An explicit folder made or removed (servers that put folders in the feed): the folder step's, not the file tree's.
    if (c.kind === 'folder') {
      if (typeof c.path === 'string') onFolder?.(c.path, c.deleted === true);
      continue;
    }
    const problem = serverEntryProblem(c, c.deleted === true);
    if (problem !== undefined) {
      onBad?.((c as { path?: unknown } | null)?.path, problem);
      continue;
    }
    const known = Math.max(tree.get(c.path)?.rev ?? 0, tombstones.get(c.path) ?? 0);
    if (c.rev <= known) continue;
    if (c.deleted) {
      tree.delete(c.path);
      tombstones.set(c.path, c.rev);
    } else {
      tree.set(c.path, remoteEntryOf(c));
      tombstones.delete(c.path);
    }
    changed.push(c.path);
  }
  return changed;
}

/** A server's file (a listing's, a change's, an answer's) as the remote tree holds it: its modifiedAt goes into `mtime`. */
export function remoteEntryOf(f: Pick<FileEntry, 'size' | 'contentHash' | 'rev' | 'modifiedAt' | 'executable'>): RemoteEntry {
  return {
    size: f.size,
    contentHash: f.contentHash,
    rev: f.rev,
    mtime: f.modifiedAt,
    ...(f.executable === true ? { executable: true } : {}),
  };
}

/**
 * A server's answer about one path (our commit, a meta read) into the tree by the feed's rule: the feed may
 * overtake the answer (another device's newer revision of the path already applied), and the older answer
 * must not roll that back.
 */
export function recordAnswer(tree: Map<string, RemoteEntry>, tombstones: Map<string, number>, path: string, entry: RemoteEntry): void {
  if (entry.rev <= Math.max(tree.get(path)?.rev ?? 0, tombstones.get(path) ?? 0)) return;
  tree.set(path, entry);
  tombstones.delete(path);
}

/**
 * A server's answer that a path is gone (`rev`: our delete's revision; undefined: the server had nothing there
 * when asked, `knownRev` being what the tree held then), by the same rule: a newer revision the feed brought
 * meanwhile (the file made again elsewhere) stays.
 */
export function recordGone(
  tree: Map<string, RemoteEntry>,
  tombstones: Map<string, number>,
  path: string,
  rev: number | undefined,
  knownRev: number,
): void {
  if (rev === undefined) {
    if ((tree.get(path)?.rev ?? 0) <= knownRev) tree.delete(path);
    return;
  }
  if (rev <= Math.max(tree.get(path)?.rev ?? 0, tombstones.get(path) ?? 0)) return;
  tree.delete(path);
  tombstones.set(path, rev);
}
