// Measures the sync figures quoted in docs/sync.md against a real stack (MariaDB at 127.0.0.1:3306).
// Run: node --conditions=source --require tsx/cjs extension/test/sync/figures.ts [latency|burst|bigedit|memory ...]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { blockHashesOf, contentHashOfBlocks, type Change } from '@mydropbox/shared';
import { startStack, TEST_PASSWORD, type Stack, type StackUser } from '../../../test/support/stack';
import { deviceTokenSession } from '../../src/sync';
import { RemoteClient } from '../../src/sync/remote';
import { makeClient } from './client';
import { startCli, runCliProcess } from '../cli/run';

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

async function latency(stack: Stack, user: StackUser): Promise<void> {
  const a = makeClient(stack.url, user);
  await a.engine.start();
  const remote = new RemoteClient(deviceTokenSession(stack.url, user.deviceToken));
  let cursor = (await remote.list()).cursor;
  const arrived = new Map<string, number>();
  const stop = new AbortController();
  const follow = (async () => {
    while (!stop.signal.aborted) {
      const res = await remote.changes(cursor, 10, stop.signal).catch(() => undefined);
      if (!res) continue;
      const now = performance.now();
      for (const c of res.changes as Change[]) if (!arrived.has(c.contentHash)) arrived.set(c.contentHash, now);
      cursor = res.cursor;
    }
  })();
  const times: number[] = [];
  for (let i = 0; i < 100; i++) {
    const body = Buffer.from(`edit ${i} ${randomBytes(8).toString('hex')}\n`);
    const hash = contentHashOfBlocks(blockHashesOf(body));
    const t0 = performance.now();
    fs.writeFileSync(a.file('notes.md'), body);
    while (!arrived.has(hash)) await new Promise((r) => setTimeout(r, 1));
    times.push(arrived.get(hash)! - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  stop.abort();
  await follow;
  await a.close();
  console.log(
    `save-to-server latency over 100 edits: median ${quantile(times, 0.5).toFixed(0)} ms, p95 ${quantile(times, 0.95).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`,
  );
}

async function burst(stack: Stack, user: StackUser): Promise<void> {
  const a = makeClient(stack.url, user);
  const b = makeClient(stack.url, user);
  for (let i = 0; i < 1000; i++) a.write(`d${i % 10}/f${i}.dat`, randomBytes(10 * 1024));
  let t = performance.now();
  await a.engine.syncNow();
  const up = performance.now() - t;
  t = performance.now();
  await b.engine.syncNow();
  const down = performance.now() - t;
  console.log(
    `1,000 files of 10 KiB from scratch: upload ${(up / 1000).toFixed(1)} s, download to a second device ${(down / 1000).toFixed(1)} s`,
  );
  await a.close();
  await b.close();
}

async function bigEdit(stack: Stack, user: StackUser): Promise<void> {
  const a = makeClient(stack.url, user);
  const size = 200 * 1000 * 1000;
  a.write('big.bin', randomBytes(size));
  let t = performance.now();
  await a.engine.syncNow();
  const first = performance.now() - t;
  const before = { ...a.engine.remote.stats };
  const fd = fs.openSync(a.file('big.bin'), 'r+');
  fs.writeSync(fd, Buffer.from('x'), 0, 1, size / 2);
  fs.closeSync(fd);
  t = performance.now();
  await a.engine.syncNow();
  const s = a.engine.remote.stats;
  console.log(
    `200 MB file: first upload ${(first / 1000).toFixed(1)} s; one-byte edit synced in ${((performance.now() - t) / 1000).toFixed(2)} s, ` +
      `${s.bytesSent - before.bytesSent} request-body bytes sent (${s.blockBytesSent - before.blockBytesSent} block payload) in ${s.requests - before.requests} requests`,
  );
  await a.close();
}

/** The daemon (a child process) watching 100,000 small files; RSS read from /proc once it settles. */
async function memory(stack: Stack, user: StackUser, count = 100_000): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-mem-'));
  const env = { MYDROPBOX_CONFIG_DIR: path.join(home, 'config'), HOME: home, MYDROPBOX_PASSWORD: TEST_PASSWORD };
  await runCliProcess(['login', '--server', stack.url, '--username', user.username], env);
  const folder = path.join(home, 'myDropbox');
  for (let d = 0; d < count / 1000; d++) {
    fs.mkdirSync(path.join(folder, `d${d}`), { recursive: true });
    for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(folder, `d${d}`, `f${i}.txt`), `file ${d}/${i}\n`);
  }
  // Offline on purpose: the data server address is closed, so the daemon scans, hashes and watches but uploads nothing.
  const creds = JSON.parse(fs.readFileSync(path.join(home, 'config', 'credentials.json'), 'utf8')) as Record<string, string>;
  fs.writeFileSync(path.join(home, 'config', 'credentials.json'), JSON.stringify({ ...creds, serverUrl: 'http://127.0.0.1:9' }), {
    mode: 0o600,
  });
  const t = performance.now();
  const daemon = startCli(['sync', folder], env);
  let rssMb = 0;
  let settledAt = 0;
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const out = daemon.output().stdout;
    const status = fs.readFileSync(`/proc/${daemon.child.pid}/status`, 'utf8');
    rssMb = Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
    if (out.includes('Offline') && !settledAt) settledAt = performance.now();
    if (settledAt && performance.now() - settledAt > 20_000) break;
  }
  daemon.child.kill('SIGTERM');
  await daemon.done;
  console.log(
    `daemon watching ${count} files (scanned, hashed, watched; offline): RSS ${rssMb.toFixed(0)} MB; first scan+watch ${((settledAt - t) / 1000).toFixed(1)} s`,
  );
  fs.rmSync(home, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const which = process.argv.slice(2);
  const want = (name: string) => which.length === 0 || which.includes(name);
  const stack = await startStack({ databaseKind: process.env.FIGURES_DB === 'sqlite' ? 'sqlite' : 'mariadb' });
  try {
    if (want('latency')) await latency(stack, await stack.signUpAndSignIn());
    if (want('burst')) await burst(stack, await stack.signUpAndSignIn());
    if (want('bigedit')) await bigEdit(stack, await stack.signUpAndSignIn());
    if (want('memory')) await memory(stack, await stack.signUpAndSignIn());
  } finally {
    await stack.close();
  }
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
