// The `mydropbox` daemon as a person runs it (a child process): save-to-server latency (W4) and watching a big tree (W6).
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { blockHashesOf, contentHashOfBlocks } from '@mydropbox/shared';
import { RemoteClient } from '../extension/src/sync/remote';
import type { Account, System } from './system';
import { REPO_ROOT } from './system';
import { editContent } from './dataset';
import { memoryOf, run, sleep, stopChild } from './proc';
import { buildPackages, EXTENSION_ROOT, packagesStatus } from '../extension/scripts/package';

const BIN = path.join(REPO_ROOT, 'extension', 'bin', 'mydropbox.js');
const BUNDLE = path.join(EXTENSION_ROOT, 'out', 'cli.js');

/**
 * The daemon runs as people install it: the esbuild bundle (out/cli.js), not the TypeScript sources
 * through tsx, which costs ~60 MB of resident memory and a slower start that users never pay. The
 * bundle is rebuilt (with the same freshness test and build as `npm start`) when older than its sources.
 */
export async function ensureDaemonBundle(log: (message: string) => void): Promise<string> {
  const status = packagesStatus();
  if (status.upToDate && fs.existsSync(BUNDLE)) return 'the bundled daemon (extension/out/cli.js, up to date)';
  log(`building the daemon bundle: ${fs.existsSync(BUNDLE) ? status.reason : 'out/cli.js is missing'}`);
  const built = await buildPackages();
  return `the bundled daemon (extension/out/cli.js, rebuilt by the bench in ${(built.ms / 1000).toFixed(1)} s: ${status.reason})`;
}

export interface DaemonHome {
  env: NodeJS.ProcessEnv;
}

/** Signs the daemon in with its own config directory (`mydropbox login`). */
export async function loginDaemon(system: System, account: Account, configDir: string): Promise<DaemonHome> {
  // MYDROPBOX_USE_BUNDLE: bin/mydropbox.js loads out/cli.js (see ensureDaemonBundle) instead of the sources.
  const env = { ...process.env, MYDROPBOX_CONFIG_DIR: configDir, MYDROPBOX_PASSWORD: account.password, MYDROPBOX_USE_BUNDLE: '1' };
  await run(process.execPath, [BIN, 'login', '--server', system.url, '--username', account.username, '--device', 'bench daemon'], { env });
  return { env };
}

/** `mydropbox sync --once DIR`, timed from the command's start to its exit (process start included). */
export async function syncOnce(home: DaemonHome, folder: string): Promise<number> {
  return (await run(process.execPath, [BIN, 'sync', '--once', folder], { env: home.env })).seconds;
}

export interface RunningDaemon {
  child: ChildProcess;
  /** Seconds from spawn until the daemon starts its pass (process and module loading). */
  bootSeconds: number;
  /** Seconds from the start of its pass (watcher walk + scan + listing + plan) until it says "Up to date". */
  rescanSeconds: number;
  stop(): Promise<void>;
}

/** Starts `mydropbox sync DIR` and resolves once it reports "Up to date". */
export async function startDaemon(home: DaemonHome, folder: string, timeoutMs = 600_000): Promise<RunningDaemon> {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [BIN, 'sync', folder], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let passStarted: bigint | undefined;
  const seconds = (from: bigint, to: bigint) => Number(to - from) / 1e9;
  return new Promise<RunningDaemon>((resolve, reject) => {
    const timer = setTimeout(
      () => (child.kill('SIGKILL'), reject(new Error(`The daemon was not up to date within ${timeoutMs} ms:\n${out}`))),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      const now = process.hrtime.bigint();
      out += d.toString();
      if (!passStarted && /Stop with Ctrl-C/.test(out)) passStarted = now;
      if (passStarted && /Up to date/.test(out.slice(out.indexOf('Stop with Ctrl-C')))) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve({ child, bootSeconds: seconds(t0, passStarted), rescanSeconds: seconds(passStarted, now), stop: () => stopChild(child) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`The daemon exited (${code}):\n${out}`))));
  });
}

export function daemonMemory(d: RunningDaemon): { rssMb: number; peakMb: number } {
  const m = memoryOf(d.child.pid!);
  if (!m) throw new Error('Cannot read the daemon process memory from /proc.');
  return m;
}

/**
 * W4: with the daemon running, writes `edits` small files one after another and times each from the
 * write until the server's change feed lists the new content hash.
 */
export async function saveLatencies(observer: Account, folder: string, edits: number): Promise<number[]> {
  const remote = new RemoteClient(observer.session);
  let cursor = (await remote.list()).cursor;
  const latencies: number[] = [];
  for (let i = 0; i < edits; i++) {
    const rel = `notes/note${i % 10}.txt`;
    const data = editContent(i);
    const hash = contentHashOfBlocks(blockHashesOf(data));
    fs.mkdirSync(path.join(folder, 'notes'), { recursive: true });
    const t0 = process.hrtime.bigint();
    fs.writeFileSync(path.join(folder, ...rel.split('/')), data);
    const deadline = Date.now() + 30_000;
    for (let seen = false; !seen;) {
      if (Date.now() > deadline) throw new Error(`The server did not list the edit of ${rel} within 30 s.`);
      const res = await remote.changes(cursor, 10);
      cursor = res.cursor;
      seen = res.changes.some((c) => c.path === rel && c.contentHash === hash);
    }
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await sleep(50); // a person does not save twice within the same 50 ms
  }
  return latencies;
}
