// main.ts as a child process for the crash and fault tests: start it, wait for its port, kill it with SIGKILL.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, ChildProcess } from 'node:child_process';

const REPO = path.resolve(__dirname, '../../..');

export interface Child {
  proc: ChildProcess;
  url: string;
  /** Everything it printed so far (its log lines). */
  output(): string;
}

/** Starts main.ts and waits for its "listening" log line, which carries the port it got. */
export function startChild(env: Record<string, string>): Promise<Child> {
  const proc = spawn(process.execPath, ['--conditions=source', '--require', 'tsx/cjs', 'server/data/src/main.ts'], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) resolve({ proc, url: m[1]!, output: () => out + err });
    });
    proc.once('exit', (code, signal) => reject(new ChildExited(code, signal, err || out)));
  });
}

/** The child ended before it listened (with `signal` SIGKILL when a fault point fired during its start). */
export class ChildExited extends Error {
  constructor(
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly output: string,
  ) {
    super(`main.ts exited with ${code ?? signal}: ${output}`);
  }
}

/** Ends the child with SIGKILL (at once if it is already gone). */
export function kill9(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.proc.once('exit', () => resolve());
    child.proc.kill('SIGKILL');
  });
}

/** Resolves when the child has ended (on its own, e.g. at an armed fault point). */
export function exited(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.proc.once('exit', () => resolve()));
}

export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}
