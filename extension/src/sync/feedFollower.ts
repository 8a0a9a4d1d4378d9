// Follows the server's change feed while the engine runs: each page of changes marks paths for the next pass.
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
      const res = await s.server.changes(s.cursor, POLL_SECONDS, signal);
      if (failures > 0) {
        failures = 0;
        s.passOwed = true;
        s.requestFullPass(); // we may have missed changes while away
      }
      if (res.reset) {
        s.passOwed = true;
        s.cursor = undefined;
        s.requestFullPass();
        continue;
      }
      s.cursor = res.cursor;
      const changed = applyChanges(res.changes, s.remoteTree, s.tombstones, s.badServerEntry, (p, deleted) =>
        onFolderChange(s, p, deleted),
      );
      if (changed.length) {
        for (const p of changed) s.dirtyPlan.add(p);
        s.opts.events?.pathsChanged?.(changed);
        s.schedule();
      }
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
