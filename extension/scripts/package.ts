// `npm run package`: bundles the clients and builds dist/mydropbox.vsix (VS Code) and dist/mydropbox-daemon.tgz (the daemon as an npm package).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';

export const EXTENSION_ROOT = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(EXTENSION_ROOT, '..');
export const VSIX_FILE = path.join(EXTENSION_ROOT, 'dist', 'mydropbox.vsix');
export const DAEMON_FILE = path.join(EXTENSION_ROOT, 'dist', 'mydropbox-daemon.tgz');
const LOCK_FILE = path.join(EXTENSION_ROOT, 'dist', '.package.lock');
const LOCK_WAIT_MS = 120_000;

// Everything that ends up inside either package: a newer file here means the packages are out of date.
const INPUTS = [
  'extension/src',
  'extension/scripts',
  'extension/package.json',
  'extension/esbuild.mjs',
  'extension/.vscodeignore',
  'extension/README.md',
  'extension/CHANGELOG.md',
  'extension/LICENSE',
  'extension/media/icon.png',
  'shared/src',
];

export interface PackagesStatus {
  upToDate: boolean;
  /** Why a build is needed, in words for the person running `npm start`. */
  reason: string;
}

export interface BuiltPackages {
  vsix: { file: string; bytes: number };
  daemon: { file: string; bytes: number };
  ms: number;
}

function newestMtime(entry: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

/** Whether both packages exist and are newer than every source that goes into them. */
export function packagesStatus(files: { vsix: string; daemon: string } = { vsix: VSIX_FILE, daemon: DAEMON_FILE }): PackagesStatus {
  const built: number[] = [];
  for (const file of [files.vsix, files.daemon]) {
    try {
      built.push(fs.statSync(file).mtimeMs);
    } catch {
      return { upToDate: false, reason: `${path.basename(file)} is missing` };
    }
  }
  const sources = Math.max(...INPUTS.map((p) => newestMtime(path.join(REPO_ROOT, p))));
  if (sources > Math.min(...built)) return { upToDate: false, reason: 'the client sources changed since the last build' };
  return { upToDate: true, reason: 'up to date' };
}

/** Runs a command; on failure the error carries its output, so the person sees why. */
function run(label: string, command: string, args: string[], cwd: string, log: (line: string) => void, quiet = false): Promise<string> {
  // npm passes its workspace settings down to children; a staging dir outside the repository must not inherit them.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_config_(workspace|include_workspace_root)/i.test(key)),
  );
  const started = Date.now();
  log(`$ ${[path.basename(command), ...args.map((a) => (path.isAbsolute(a) ? path.relative(cwd, a) : a))].join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (err) => reject(new Error(`${label} could not start: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (output.trim() && !quiet) log(output.trimEnd());
      log(`  (${Date.now() - started} ms)`);
      if (code === 0) resolve(output);
      else {
        // The first line that says "error" names the cause (esbuild, vsce, npm and node all say it); all output follows for the log.
        const lines = output.trim().split('\n');
        const cause = (lines.find((l) => /error/i.test(l)) ?? lines.pop() ?? '').trim() || 'no output';
        reject(new Error(`${label} failed (${signal ?? `exit code ${code}`}): ${cause}\n${output.trim()}`));
      }
    });
  });
}

function binOf(pkg: string, bin: string): string {
  const manifestPath = require.resolve(`${pkg}/package.json`, { paths: [EXTENSION_ROOT] });
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { bin: Record<string, string> };
  return path.join(path.dirname(manifestPath), manifest.bin[bin]);
}

function npmCommand(): { command: string; prefix: string[] } {
  // Under `npm run`, npm_execpath is npm's own script: run it with this node rather than trusting PATH.
  const execPath = process.env.npm_execpath;
  if (execPath && /npm-cli\.js$/.test(execPath)) return { command: process.execPath, prefix: [execPath] };
  return { command: process.platform === 'win32' ? 'npm.cmd' : 'npm', prefix: [] };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One build at a time: two would delete each other's out/ mid-way (tests and `npm start` may build together). */
async function withLock<T>(work: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(LOCK_FILE), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(LOCK_FILE, 'utf8').trim() || 'NaN');
      // A holder that died (or a lock written halfway) leaves the file behind: take it over.
      if (!Number.isInteger(holder) || !processAlive(holder)) {
        fs.rmSync(LOCK_FILE, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Another build (process ${holder}) still holds ${LOCK_FILE}.`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(LOCK_FILE, { force: true });
  }
}

interface ExtensionManifest {
  version: string;
  description: string;
  license: string;
  repository?: unknown;
  homepage?: string;
  bugs?: unknown;
}

function daemonManifest(extension: ExtensionManifest): object {
  return {
    name: 'mydropbox',
    version: extension.version,
    description: 'The MyDropbox sync daemon: keeps a folder in sync with your self-hosted MyDropbox server, both ways.',
    license: extension.license,
    bin: { mydropbox: 'cli.js' },
    files: ['cli.js', 'README.md', 'LICENSE'],
    engines: { node: '>=20' },
    keywords: ['sync', 'dropbox', 'self-hosted', 'daemon'],
    repository: extension.repository,
    bugs: extension.bugs,
    // Everything is bundled into cli.js: installing downloads nothing else.
    dependencies: {},
  };
}

/** Stages cli.js, README and LICENSE with a generated package.json and packs them with `npm pack`. */
async function packDaemon(outDir: string, work: string, log: (line: string) => void): Promise<string> {
  const extension = JSON.parse(fs.readFileSync(path.join(EXTENSION_ROOT, 'package.json'), 'utf8')) as ExtensionManifest;
  const stage = path.join(work, 'daemon');
  fs.mkdirSync(stage);
  const cli = fs.readFileSync(path.join(EXTENSION_ROOT, 'out', 'cli.js'), 'utf8');
  if (!cli.startsWith('#!/usr/bin/env node')) throw new Error('out/cli.js has no #!/usr/bin/env node line; check esbuild.mjs.');
  fs.writeFileSync(path.join(stage, 'cli.js'), cli, { mode: 0o755 });
  fs.copyFileSync(path.join(__dirname, 'daemon-README.md'), path.join(stage, 'README.md'));
  fs.copyFileSync(path.join(EXTENSION_ROOT, 'LICENSE'), path.join(stage, 'LICENSE'));
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(daemonManifest(extension), null, 2) + '\n');
  const npm = npmCommand();
  const packed = await run(
    'npm pack',
    npm.command,
    [...npm.prefix, 'pack', '--json', '--ignore-scripts', '--pack-destination', outDir, '--loglevel', 'error'],
    stage,
    log,
    true,
  );
  const [result] = JSON.parse(packed.slice(packed.indexOf('['))) as { filename: string }[];
  return path.join(outDir, result.filename);
}

/** Builds both packages (about 2–3 s) and puts them in place only once each is complete. */
export async function buildPackages(log: (line: string) => void = () => {}): Promise<BuiltPackages> {
  const started = Date.now();
  return withLock(async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-package-'));
    try {
      await run('esbuild', process.execPath, [path.join(EXTENSION_ROOT, 'esbuild.mjs'), '--production'], EXTENSION_ROOT, log);
      const vsixTemp = path.join(work, 'mydropbox.vsix');
      // vsce reads out/extension.js and npm pack out/cli.js: independent, so side by side.
      // Both settle before the work dir goes: one failing must not pull the files from under the other.
      const [vsce, daemon] = await Promise.allSettled([
        run(
          'vsce package',
          process.execPath,
          [binOf('@vscode/vsce', 'vsce'), 'package', '--no-dependencies', '--out', vsixTemp],
          EXTENSION_ROOT,
          log,
        ),
        packDaemon(work, work, log),
      ]);
      if (vsce.status === 'rejected') throw vsce.reason;
      if (daemon.status === 'rejected') throw daemon.reason;
      const tgzTemp = daemon.value;
      fs.mkdirSync(path.dirname(VSIX_FILE), { recursive: true });
      // Copy beside the target, then rename: a download in progress never sees half a file.
      for (const [from, to] of [
        [vsixTemp, VSIX_FILE],
        [tgzTemp, DAEMON_FILE],
      ]) {
        const partial = `${to}.${process.pid}.partial`;
        fs.copyFileSync(from, partial);
        fs.renameSync(partial, to);
      }
      return {
        vsix: { file: VSIX_FILE, bytes: fs.statSync(VSIX_FILE).size },
        daemon: { file: DAEMON_FILE, bytes: fs.statSync(DAEMON_FILE).size },
        ms: Date.now() - started,
      };
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
}

if (require.main === module) {
  buildPackages((line) => process.stdout.write(line + '\n')).then(
    (built) => {
      const kb = (n: number) => `${(n / 1000).toFixed(0)} kB`;
      process.stdout.write(
        `\nBuilt in ${(built.ms / 1000).toFixed(1)} s:\n  ${path.relative(process.cwd(), built.vsix.file)} (${kb(built.vsix.bytes)})\n` +
          `  ${path.relative(process.cwd(), built.daemon.file)} (${kb(built.daemon.bytes)})\n`,
      );
    },
    (err: unknown) => {
      process.stderr.write(`\nPackaging failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
