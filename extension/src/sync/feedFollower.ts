// Follows the server's change feed while the engine runs: each page of changes marks paths for the next pass.
import type { ChangesResponse } from '@mydropbox/shared';
import { backoffDelay } from './remote';
import { applyChanges, POLL_SECONDS } from './changeFeed';
import { onFolderChange } from './folderSync';
import { halt, isSignedOut, signedOutReason } from './lifecycle';
import { OFFLINE_BACKOFF } from './passes';
import type { EngineState } from './engineState';

export async function followFeed(s: EngineState, signal: AbortSignal): Promise<void> {
  let failures = 0;
  while (!signal.aborted && !s.stopped) {
    // No cursor yet, paused, or offline: only a step of the loop changes that (a full pass, resume's, the offline retry).
    if (!s.cursor || s.paused || s.current.kind === 'offline') {
      await s.loop.stepDone(signal);
      continue;
    }
    try {
      const sentFrom = s.cursor;
      const res = await s.server.changes(sentFrom, POLL_SECONDS, signal);
      if (failures > 0) {
        failures = 0;
        s.passOwed = true;
        s.requestFullPass(); // we may have missed changes while away
      }
      applyFeedAnswer(s, sentFrom, res);
    } catch (err) {
      if (signal.aborted) return;
      // Signed out while waiting for changes (the data server ends the poll then): stop, as a refused upload would.
      if (isSignedOut(err)) {
        s.lastError = err;
        halt(s, signedOutReason(err));
        return;
      }
      failures++;
      s.log('debug', `Change feed: ${err instanceof Error ? err.message : String(err)}`);
      await s.clock.sleep(backoffDelay(failures, OFFLINE_BACKOFF), signal);
    }
  }
}

/**
 * One answer of the feed, polled from `sentFrom`, into the state. Dropped when the cursor moved while it was on its way
 * (a full pass's listing replaced the tree, or a reset): the next poll starts from the new cursor. Taken, it moved the
 * cursor past what an older listing did not hold yet (another device's file made meanwhile), which then never came.
 */
export function applyFeedAnswer(s: EngineState, sentFrom: string, res: ChangesResponse): void {
  if (s.cursor !== sentFrom) return;
  if (res.reset) {
    s.passOwed = true;
    s.cursor = undefined;
    s.requestFullPass();
    return;
  }
  s.cursor = res.cursor;
  const changed = applyChanges(res.changes, s.remoteTree, s.tombstones, s.badServerEntry, (p, deleted) => onFolderChange(s, p, deleted));
  if (changed.length) {
    for (const p of changed) s.dirtyPlan.add(p);
    s.opts.events?.pathsChanged?.(changed);
    s.schedule();
  }
}
