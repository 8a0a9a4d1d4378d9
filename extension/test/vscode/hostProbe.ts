// One extension host's worth of MyDropbox: the extension (bundled by figures.ts) on the typed double with the real engine, syncing a big folder; prints its memory and the decoration provider's timings as JSON.
//
// Run by figures.ts in its own process, so the servers' memory is not counted. Needs --expose-gc.
import path from 'node:path';
import type * as vscode from 'vscode';
import * as sync from '../../src/sync';
import { activateExtension } from '../../src/activation';
import { COMMANDS } from '../../src/commands';
import { createVscodeDouble, workspaceFolder } from './double';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const DEVICE_KEY = 'mydropbox.device';

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function memory(): { rssMb: number; heapUsedMb: number; externalMb: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external) };
}

/** The folder figures.ts writes: 1,000 files in each of count / 1,000 folders. */
export function filePaths(count: number): string[] {
  const paths: string[] = [];
  for (let d = 0; d < count / 1000; d++) for (let i = 0; i < 1000; i++) paths.push(`d${d}/f${i}.txt`);
  return paths;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

/** The same restart without the extension: the engine alone on the extension's state, to tell the glue's share of the memory. */
async function engineOnly(folder: string, device: { serverUrl: string; username: string; deviceToken: string }): Promise<void> {
  const before = memory();
  const stateDir = sync.stateDirFor(path.join(env('PROBE_STORAGE'), 'sync'), {
    folder,
    serverUrl: device.serverUrl,
    username: device.username,
  });
  let upToDate!: () => void;
  const done = new Promise<void>((resolve) => (upToDate = resolve));
  const engine = new sync.SyncEngine({
    folder,
    stateDir,
    session: sync.deviceTokenSession(device.serverUrl, device.deviceToken),
    events: { status: (st) => st.kind === 'upToDate' && upToDate() },
  });
  const started = performance.now();
  await engine.start();
  if (engine.status.kind !== 'upToDate') await done;
  const syncS = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 3000));
  const synced = memory();
  await engine.stop();
  process.stdout.write(
    `${JSON.stringify({ phase: 'restart, engine alone', upToDateAfterS: Math.round(syncS * 10) / 10, memory: { beforeStart: before, syncedAndIdle: synced } })}\n`,
  );
}

async function main(): Promise<void> {
  const folder = env('PROBE_FOLDER');
  if (process.env.PROBE_ENGINE_ONLY)
    return engineOnly(folder, JSON.parse(env('PROBE_DEVICE')) as { serverUrl: string; username: string; deviceToken: string });
  const before = memory();
  const double = createVscodeDouble(env('PROBE_STORAGE'));
  double.workspaceFolders.push(workspaceFolder(folder));
  // A restart: the device signed in by the first run, as VS Code's secret storage would hand it back.
  const device = process.env.PROBE_DEVICE;
  if (device) double.secrets.values.set(DEVICE_KEY, device);
  const started = performance.now();
  const ext = await activateExtension(double.host, double.context, sync);
  if (!device) {
    double.answerInputs(env('PROBE_SERVER'), env('PROBE_USERNAME'), env('PROBE_PASSWORD'));
    await double.host.commands.executeCommand(COMMANDS.signIn);
  }
  await ext.controller.waitForStatus((s) => s.kind === 'upToDate');
  const syncS = (performance.now() - started) / 1000;
  // Let the last events, the index flush and the views' timers run out before measuring.
  await new Promise((r) => setTimeout(r, 3000));
  const synced = memory();

  const provider = double.decorationProviders[0]!;
  const paths = filePaths(Number(env('PROBE_FILES')));
  const uris = paths.map((p) => double.host.Uri.file(path.join(folder, p)));
  const none = undefined as unknown as vscode.CancellationToken;
  let badges = 0;
  const t0 = performance.now();
  for (const uri of uris) if ((provider.provideFileDecoration(uri, none) as vscode.FileDecoration | undefined)?.badge === '✓') badges++;
  const allMs = performance.now() - t0;
  const single: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const uri = uris[(i * 7919) % uris.length]!;
    const s = process.hrtime.bigint();
    provider.provideFileDecoration(uri, none);
    single.push(Number(process.hrtime.bigint() - s) / 1000);
  }
  const afterDecorations = memory();
  await ext.controller.stop();
  await double.dispose();
  process.stdout.write(
    `${JSON.stringify({
      files: paths.length,
      phase: device ? 'restart' : 'first sync',
      upToDateAfterS: Math.round(syncS * 10) / 10,
      device: double.secrets.values.get(DEVICE_KEY),
      memory: { beforeActivation: before, syncedAndIdle: synced, afterDecorating: afterDecorations },
      decorations: {
        synced: badges,
        allFilesMs: Math.round(allMs),
        perFileUs: Math.round((allMs / paths.length) * 1000 * 10) / 10,
        singleCallUs: { p50: quantile(single, 0.5), p99: quantile(single, 0.99), max: Math.max(...single) },
      },
    })}\n`,
  );
}

if (require.main === module)
  void main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
