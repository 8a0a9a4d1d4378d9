// Follows the data server's change feed (long-poll) and folds each change into the remote tree.
import type { Change } from '@mydropbox/shared';
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
      tree.set(c.path, { size: c.size, contentHash: c.contentHash, rev: c.rev, mtime: c.modifiedAt });
      tombstones.delete(c.path);
    }
    changed.push(c.path);
  }
  return changed;
}
