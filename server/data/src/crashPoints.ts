// Named places where a fault test has the process killed (SIGKILL) to prove that a crash there loses nothing.

/**
 * Every named step a test can stop a write at. Every write that publishes (services/publishFiles.ts:
 * commits, copies, moves, deletes, restores) passes both the `publish-…` and the `batch-…` names.
 */
export type CrashPointName =
  | 'publish-after-keep'
  | 'publish-after-rename'
  | 'publish-after-rows'
  | 'purge-after-rows'
  | 'batch-after-journal'
  | 'batch-before-rows'
  | 'batch-after-rows'
  | 'rename-done'
  | 'checkpoint-synced'
  | 'recovery-replayed';

/**
 * Read once: set only by tests that start main.ts as a child process (versionsCrash.test.ts, faults.test.ts).
 * `MYDROPBOX_CRASH_AT=<name>` kills at the first arrival at `<name>`, `<name>:<n>` at the n-th.
 */
const spec = /^([a-z-]+)(?::([1-9][0-9]*))?$/.exec(process.env.MYDROPBOX_CRASH_AT ?? '');
const crashAt = spec?.[1];
let arrivals = Number(spec?.[2] ?? 1);

/** Kills this process on the spot if a test asked for a crash at (this arrival at) `name`. */
export function crashPoint(name: CrashPointName): void {
  if (crashAt === name && --arrivals === 0) process.kill(process.pid, 'SIGKILL');
}
