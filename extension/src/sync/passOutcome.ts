// After a pass: the status it leaves, the paths that wait their own backoff, and what is newly not synced.
import { backoffDelay } from './remote';
import { displayPath, type NotSyncedItem } from './notSynced';
import type { EngineState } from './engineState';

/** One path's transfer that stalled or broke while the server answered others: tried again on its own, not the engine's, backoff. */
const PATH_RETRY_BACKOFF = { baseDelayMs: 1_000, maxDelayMs: 60_000 };

/**
 * The status after a pass: up to date only when nothing is pending, waiting to be tried again or
 * failing, and the trees are fresh (a full pass owed after an outage keeps the offline status).
 */
export function settleStatus(s: EngineState): void {
  const failures = s.issues.failures;
  if (failures.size > 0) {
    const first = failures.values().next().value as NotSyncedItem;
    s.setStatus({ kind: 'error', message: `${failures.size} file(s) not synced: ${first.message}` });
  } else if (s.retryLater.size > 0) {
    const next = Math.min(...[...s.retryLater.values()].map((w) => w.at));
    const [, first] = s.retryLater.entries().next().value as [string, { reason: unknown }];
    s.setStatus({
      kind: 'syncing',
      pending: s.retryLater.size + s.dirtyLocal.size,
      retryAt: next,
      reason: first.reason instanceof Error ? first.reason.message : String(first.reason),
    });
  } else if (s.passOwed) {
    if (s.current.kind !== 'offline') s.setStatus({ kind: 'syncing', pending: s.dirtyLocal.size });
  } else if (s.dirtyLocal.size > 0 || s.dirtyRemote.size > 0 || s.dirtyPlan.size > 0) {
    s.setStatus({ kind: 'syncing', pending: s.dirtyLocal.size + s.dirtyRemote.size + s.dirtyPlan.size });
  } else {
    const skipped = s.issues.size;
    s.setStatus({ kind: 'upToDate', lastSyncAt: s.clock.now(), ...(skipped > 0 ? { notSynced: skipped } : {}) });
  }
}

/** `p` is tried again after its own backoff (a stalled or broken transfer, a plan that did not settle). */
export function deferRetry(s: EngineState, p: string, reason: unknown): void {
  const attempts = (s.retryLater.get(p)?.attempts ?? 0) + 1;
  const delay = backoffDelay(attempts - 1, PATH_RETRY_BACKOFF);
  s.retryLater.set(p, { attempts, at: s.clock.now() + delay, reason });
  s.log(
    'warn',
    `"${p}" will be tried again in ${Math.round(delay / 100) / 10} s: ${reason instanceof Error ? reason.message : String(reason)}`,
  );
  armRetryLater(s);
}

/**
 * A full pass tries every waiting path again now, and plans each one: a path no tree holds any more (its download
 * failed, then the file went on the server) is not among the paths the trees give, and never left the list.
 */
export function retryAllNow(s: EngineState): void {
  for (const [p, waiting] of s.retryLater) {
    waiting.at = 0;
    s.dirtyPlan.add(p);
  }
}

export function armRetryLater(s: EngineState, after?: number): void {
  s.loop.cancel('retryLater');
  if (s.retryLater.size === 0 || s.stopped || s.halted || !s.started) return;
  // Past `after`, the paths already handed to a pass are not waited for again: while that pass cannot run (paused,
  // no server tree yet) a timer for them fired at once, again and again.
  const times = [...s.retryLater.values()].map((w) => w.at).filter((at) => after === undefined || at > after);
  if (times.length === 0) return;
  s.loop.after('retryLater', Math.max(0, Math.min(...times) - s.clock.now()), async () => {
    const now = s.clock.now();
    for (const [p, w] of s.retryLater) if (w.at <= now) s.dirtyPlan.add(p);
    s.schedule();
    armRetryLater(s, now);
  });
}

/** Logs what newly is not synced, and tells the host when the list changed. */
export function tellNotSynced(s: EngineState): void {
  if (!s.issues.changedSinceLastAsked()) return;
  const items = s.issues.items();
  for (const i of items) {
    const key = `${i.path}\n${i.message}`;
    if (!s.toldNotSynced.has(key) && i.reason !== 'failed') s.log('warn', `Not synced: ${displayPath(i.path)}: ${i.message}`);
  }
  s.toldNotSynced = new Set(items.map((i) => `${i.path}\n${i.message}`));
  s.opts.events?.notSynced?.(items);
}
