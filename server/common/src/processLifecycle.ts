// How every server process ends: once on SIGINT/SIGTERM after closing what it opened, or at a failed start.
import type { Logger } from './logger';

/** Runs `close` once on the first SIGINT or SIGTERM, then exits 0 (1 when closing failed). */
export function closeOnSignals(log: Logger, name: string, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `${name} stopping`);
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, `${name}: error while stopping`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** Runs a process's main(); a failed start prints one readable line (no stack) and exits 1. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${name} failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
