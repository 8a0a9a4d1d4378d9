// Website figures for docs/performance.md: a 1 GiB upload through the files page in Chromium against the daemon's
// `sync --once` of the same file, and the time to the first byte (and the whole) of a 1,000-file folder as a zip.
//
//   node --conditions=source --require tsx/cjs bench/website.ts [--mib 1024] [--files 1000]
//
// Starts `npm start`'s launcher in a temp home (embedded SQLite, two data servers), one fresh account per run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { blockHashesOf } from '@mydropbox/shared';
import { launchChromium } from '../test/support/browser';
import { makeBigFile } from './dataset';
import { ensureDaemonBundle, loginDaemon, syncOnce } from './daemon';
import { RemoteClient } from '../extension/src/sync/remote';
import { startSystem, type Account, type System } from './system';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function browserUpload(system: System, account: Account, file: string): Promise<number> {
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${system.url}/login`);
    await page.getByLabel('Username').fill(account.username);
    await page.getByLabel('Password').fill(account.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/files$/);
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Upload', exact: true }).click(),
    ]);
    const t0 = process.hrtime.bigint();
    await chooser.setFiles(file);
    await page.getByText('1 file uploaded.').waitFor({ timeout: 600_000 });
    return Number(process.hrtime.bigint() - t0) / 1e9;
  } finally {
    await browser.close();
  }
}

/** Time to the first byte and to the last of GET /files/zip, with the session cookie of a fresh login. */
async function zipTimes(system: System, account: Account, dir: string): Promise<{ firstByte: number; whole: number; bytes: number }> {
  const browser = await launchChromium();
  let cookie: string;
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${system.url}/login`);
    await page.getByLabel('Username').fill(account.username);
    await page.getByLabel('Password').fill(account.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/files$/);
    cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  } finally {
    await browser.close();
  }
  const t0 = process.hrtime.bigint();
  const res = await fetch(`${system.url}/files/zip?dir=${encodeURIComponent(dir)}`, { headers: { cookie } });
  if (!res.ok || !res.body) throw new Error(`zip: ${res.status}`);
  const reader = res.body.getReader();
  let firstByte = 0;
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (bytes === 0) firstByte = Number(process.hrtime.bigint() - t0) / 1e9;
    bytes += value.length;
  }
  return { firstByte, whole: Number(process.hrtime.bigint() - t0) / 1e9, bytes };
}

async function main(): Promise<void> {
  const mib = arg('mib', 1024);
  const count = arg('files', 1000);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-bench-web-'));
  const log = (m: string) => process.stdout.write(`${m}\n`);
  log(`daemon: ${await ensureDaemonBundle(log)}`);
  const system = await startSystem(path.join(work, 'home'));
  try {
    const big = path.join(work, 'big.bin');
    makeBigFile(big, mib * 1024 * 1024);
    const size = fs.statSync(big).size;

    const webAccount = await system.newAccount();
    const webSeconds = await browserUpload(system, webAccount, big);
    log(`website upload of ${mib} MiB in Chromium: ${webSeconds.toFixed(2)} s, ${(size / 1048576 / webSeconds).toFixed(0)} MiB/s`);

    const daemonAccount = await system.newAccount();
    const folder = path.join(work, 'daemon-folder');
    fs.mkdirSync(folder);
    fs.renameSync(big, path.join(folder, 'big.bin'));
    const home = await loginDaemon(system, daemonAccount, path.join(work, 'daemon-config'));
    const daemonSeconds = await syncOnce(home, folder);
    log(`daemon sync --once of ${mib} MiB: ${daemonSeconds.toFixed(2)} s, ${(size / 1048576 / daemonSeconds).toFixed(0)} MiB/s`);
    fs.rmSync(folder, { recursive: true, force: true });

    // 1,000 small files in one folder, sent the way the sync client sends them.
    const zipAccount = await system.newAccount();
    const remote = new RemoteClient(zipAccount.session);
    const files = Array.from({ length: count }, (_, i) => ({
      path: `Photos/f${String(i).padStart(4, '0')}.bin`,
      data: randomBytes(10 * 1024),
    }));
    for (let i = 0; i < files.length; i += 200) {
      const slice = files.slice(i, i + 200);
      await remote.putBlockBatch(slice.map((f) => ({ hash: blockHashesOf(f.data)[0]!, data: f.data })));
      await remote.commitBatch(slice.map((f) => ({ path: f.path, size: f.data.length, blocks: blockHashesOf(f.data), baseRev: null })));
    }
    const zip = await zipTimes(system, zipAccount, 'Photos');
    log(
      `zip of a ${count}-file folder: first byte ${(zip.firstByte * 1000).toFixed(0)} ms, whole ${(zip.whole * 1000).toFixed(0)} ms (${(zip.bytes / 1e6).toFixed(1)} MB)`,
    );
  } finally {
    await system.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
