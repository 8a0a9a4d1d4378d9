// The server's tree at the start of a full pass: the synced index plus the change feed since its cursor when it has one, else a full listing.
import type { Change, FileEntry } from '@mydropbox/shared';
import type { SyncServer } from './engineIO';
import type { Session } from './session';
import type { RemoteEntry } from './executor';
import type { CompactTree, CompactEntry } from './compactTree';
import { applyChanges, remoteEntryOf, type BadEntryReport } from './changeFeed';
import { serverEntryProblem } from './pathSafety';

/** Past this many feed pages (1,000 changes each) a listing is cheaper than replaying the feed. */
const MAX_FEED_PAGES = 20;

export type RemoteSnapshot = { cursor: string; files: FileEntry[] } | { cursor: string; since: Change[] };

/**
 * What the server changed since `savedCursor` (a restart with nothing changed: one small request
 * instead of listing 100,000 rows), or its whole listing when there is no cursor, the server no longer
 * knows it, or too much changed.
 */
export async function fetchRemote(remote: SyncServer, savedCursor: string | undefined): Promise<RemoteSnapshot> {
  if (savedCursor !== undefined) {
    const since: Change[] = [];
    let cursor = savedCursor;
    for (let page = 0; page < MAX_FEED_PAGES; page++) {
      const res = await remote.changes(cursor, 0);
      if (res.reset) break;
      if (res.changes.length === 0) return { cursor, since };
      since.push(...res.changes);
      cursor = res.cursor;
    }
  }
  const { files, cursor } = await remote.list();
  return { files, cursor };
}

/**
 * Which account on which data server a cursor belongs to: the data server's address and the account
 * and server named in the access token (read, not verified: it is our own token, and this only keys a cache).
 */
export async function feedIdentity(session: Session): Promise<string> {
  const { accessToken, dataServerUrl } = await session.getAccessToken();
  let claims: { sub?: unknown; sid?: unknown } = {};
  try {
    claims = JSON.parse(Buffer.from(accessToken.split('.')[0] ?? '', 'base64url').toString('utf8')) as typeof claims;
  } catch {
    // not a token we can read: key on the address alone would be unsafe, so make it unique (never matches)
    return `unreadable:${Math.random()}`;
  }
  return JSON.stringify([dataServerUrl, claims.sub, claims.sid]);
}

/** Fills `tree` from the snapshot; a feed snapshot starts from `synced`, the tree the server held at the saved cursor. */
export function applySnapshot(
  snap: RemoteSnapshot,
  tree: CompactTree<RemoteEntry>,
  tombstones: Map<string, number>,
  synced: CompactTree<CompactEntry>,
  onBad?: BadEntryReport,
): void {
  if ('files' in snap) {
    tree.clear();
    for (const f of snap.files) {
      const problem = serverEntryProblem(f);
      if (problem !== undefined) onBad?.((f as { path?: unknown } | null)?.path, problem);
      else tree.set(f.path, remoteEntryOf(f));
    }
  } else {
    tree.resetToRemoteView(synced);
    applyChanges(snap.since, tree, tombstones, onBad);
  }
  // The feed may have brought a delete newer than the snapshot (a page applied while the listing was on its way):
  // the file stays gone. Kept, it would outlive the delete, which the feed replayed from the snapshot's cursor drops
  // as already known.
  for (const [p, rev] of tombstones) if ((tree.get(p)?.rev ?? Infinity) < rev) tree.delete(p);
}

/** Past this many pages a catch-up gives up: the cursor is then not saved and the next start lists. */
const MAX_CATCH_UP_PAGES = 200;

/**
 * Folds the feed since `cursor` into `tree` and returns the newest cursor, or `cursor` unchanged when
 * offline, reset or too far behind (the tree is then left as it was). Our own commits come back as
 * entries the tree already has and change nothing.
 */
export async function catchUp(
  remote: SyncServer,
  cursor: string,
  tree: CompactTree<RemoteEntry>,
  tombstones: Map<string, number>,
): Promise<string | undefined> {
  const since: Change[] = [];
  let at = cursor;
  try {
    for (let page = 0; page < MAX_CATCH_UP_PAGES; page++) {
      const res = await remote.changes(at, 0);
      if (res.reset) return undefined;
      if (res.changes.length === 0) {
        applyChanges(since, tree, tombstones);
        return at;
      }
      since.push(...res.changes);
      at = res.cursor;
    }
  } catch {
    // offline at stop: the old cursor is still true, just further behind
  }
  return cursor;
}
