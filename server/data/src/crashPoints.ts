// Named places where a fault test has the process killed (SIGKILL) to prove that a crash there loses nothing.

/** Read once: set only by tests that start main.ts as a child process (server/data/test/versionsCrash.test.ts). */
const crashAt = process.env.MYDROPBOX_CRASH_AT;

/** Kills this process on the spot if a test asked for a crash at `name`. */
export function crashPoint(name: 'publish-after-keep' | 'publish-after-rename' | 'purge-after-rows'): void {
  if (crashAt === name) process.kill(process.pid, 'SIGKILL');
}
