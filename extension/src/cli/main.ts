// The `mydropbox` daemon: the sync engine with a terminal face (login, sync, sync --once, status, logout).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isRetryable, MyDropboxError } from '@mydropbox/shared';
import { SyncEngine, deviceTokenSession, signIn, signOut, type SyncStatus } from '../sync';
import {
  configDir,
  defaultFolder,
  loadCredentials,
  readFolderStatuses,
  removeCredentials,
  saveCredentials,
  stateDirFor,
  writeFolderStatus,
} from './config';
import { readPassword } from './prompt';
import { keepYoungGenerationSmall } from './youngGeneration';
// The manifest's version: esbuild inlines the JSON into the bundled daemon, tsx reads it from the repository.
import { version } from '../../package.json';

export const EXIT = { ok: 0, usage: 1, auth: 2, unreachable: 3, quota: 4, other: 5 } as const;

export const HELP = `mydropbox: keep a folder in sync with your MyDropbox server

Usage:
  mydropbox login --server URL --username NAME [--device NAME]
      Sign this computer in. URL is the address \`npm start\` prints. The password is asked for
      without echo, or taken from MYDROPBOX_PASSWORD.
  mydropbox sync [DIR]          Sync DIR (default ~/myDropbox, created if missing) until stopped (Ctrl-C).
  mydropbox sync --once [DIR]   One full pass both ways; exits 0 when everything is in sync.
  mydropbox status              Who is signed in, and each synced folder's last state.
  mydropbox logout              Revoke this computer's device token and forget it.

Options: --help, --version. State lives in ~/.config/mydropbox (MYDROPBOX_CONFIG_DIR overrides it);
the token file is readable by you alone. MYDROPBOX_LOG=debug shows more.

Exit codes:
  0  ok (for sync --once: everything is in sync)
  1  wrong usage
  2  sign-in problem: wrong username or password, not signed in, or the device token was revoked
  3  the server cannot be reached
  4  your quota is full
  5  anything else (the message says what)
`;

type Out = { out: (s: string) => void; err: (s: string) => void };
const stdio: Out = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

/** Runs one command and returns its exit code (the process exits with it). */
export async function runCli(argv: string[], io: Out = stdio, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        server: { type: 'string' },
        username: { type: 'string' },
        device: { type: 'string' },
        once: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${HELP}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.version) {
    io.out(`mydropbox ${version}`);
    return EXIT.ok;
  }
  if (values.help || !command) {
    (command || values.help ? io.out : io.err)(HELP);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const dir = configDir(env);
  try {
    switch (command) {
      case 'login':
        return await login(io, env, dir, values.server, values.username, values.device);
      case 'sync':
        if (rest.length > 1) return usage(io, 'sync takes at most one folder.');
        return await sync(io, env, dir, rest[0], values.once ?? false);
      case 'status':
        return status(io, dir);
      case 'logout':
        return await logout(io, dir);
      default:
        return usage(io, `Unknown command "${command}".`);
    }
  } catch (err) {
    return fail(io, err);
  }
}

function usage(io: Out, message: string): number {
  io.err(`${message}\n\n${HELP}`);
  return EXIT.usage;
}

/** Turns an error into a message a person can act on and the documented exit code. */
export function exitCodeFor(err: unknown): number {
  if (MyDropboxError.is(err, 'bad_credentials') || MyDropboxError.is(err, 'unauthorized') || MyDropboxError.is(err, 'token_expired'))
    return EXIT.auth;
  if (MyDropboxError.is(err, 'quota_exceeded')) return EXIT.quota;
  if (MyDropboxError.is(err, 'server_unavailable') || (!(err instanceof MyDropboxError) && isRetryable(err))) return EXIT.unreachable;
  return EXIT.other;
}

function fail(io: Out, err: unknown): number {
  const code = exitCodeFor(err);
  const message = err instanceof Error ? err.message : String(err);
  const hint =
    code === EXIT.auth && !MyDropboxError.is(err, 'bad_credentials')
      ? ' Sign in again with `mydropbox login`.'
      : code === EXIT.quota
        ? ' Delete files (or move them out of the folder) to free space.'
        : '';
  io.err(`mydropbox: ${message}${hint}`);
  return code;
}

async function login(io: Out, env: NodeJS.ProcessEnv, dir: string, server?: string, username?: string, device?: string): Promise<number> {
  if (!server || !username) return usage(io, 'login needs --server URL and --username NAME.');
  let url: URL;
  try {
    url = new URL(server);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    return usage(io, `"${server}" is not an http:// or https:// address.`);
  }
  const serverUrl = url.toString().replace(/\/+$/, '');
  const password = env.MYDROPBOX_PASSWORD ?? (await readPassword(`Password for ${username} at ${serverUrl}: `));
  if (!password) return usage(io, 'No password given.');
  const deviceName = device ?? `${os.hostname()} (mydropbox daemon)`;
  let res;
  try {
    res = await signIn(serverUrl, username, password, { name: deviceName, kind: 'daemon' });
  } catch (err) {
    if (MyDropboxError.is(err, 'bad_credentials') || MyDropboxError.is(err, 'unauthorized')) {
      io.err('mydropbox: Wrong username or password.');
      return EXIT.auth;
    }
    throw err;
  }
  const previous = loadCredentials(dir);
  saveCredentials(dir, { serverUrl, username: res.username, deviceToken: res.deviceToken, deviceName });
  if (previous && previous.deviceToken !== res.deviceToken) await signOut(previous.serverUrl, previous.deviceToken).catch(() => undefined);
  io.out(`Signed in as ${res.username} at ${serverUrl}. Start syncing with: mydropbox sync`);
  return EXIT.ok;
}

function describe(status: SyncStatus): string {
  switch (status.kind) {
    case 'upToDate':
      return 'Up to date';
    case 'syncing':
      return `Syncing ${status.pending} file${status.pending === 1 ? '' : 's'}…`;
    case 'paused':
      return 'Paused';
    case 'offline':
      return `Offline: ${status.reason}${status.retryAt ? `; retrying in ${Math.max(0, Math.round((status.retryAt - Date.now()) / 1000))} s` : ''}`;
    case 'signedOut':
      return 'Signed out: run `mydropbox login`';
    case 'error':
      return `Error: ${status.message}`;
  }
}

async function sync(io: Out, env: NodeJS.ProcessEnv, dir: string, folderArg: string | undefined, once: boolean): Promise<number> {
  const creds = loadCredentials(dir);
  if (!creds) {
    io.err('mydropbox: Not signed in. Run `mydropbox login --server URL --username NAME` first.');
    return EXIT.auth;
  }
  keepYoungGenerationSmall();
  const folder = path.resolve(folderArg ?? defaultFolder());
  fs.mkdirSync(folder, { recursive: true });
  const stateDir = stateDirFor(dir, folder);
  const debug = env.MYDROPBOX_LOG === 'debug';
  let lastLine = '';
  const engine = new SyncEngine({
    folder,
    stateDir,
    session: deviceTokenSession(creds.serverUrl, creds.deviceToken),
    deviceName: creds.deviceName,
    events: {
      status: (s) => {
        writeFolderStatus(stateDir, { folder, pid: process.pid, status: s, updatedAt: Date.now() });
        const line = describe(s);
        if (line !== lastLine && (s.kind !== 'syncing' || !once)) io.out(`${new Date().toISOString()} ${line}`);
        lastLine = line;
      },
      log: (level, message) => {
        if (level !== 'debug' || debug) io.err(`${new Date().toISOString()} ${level}: ${message}`);
      },
      conflict: ({ path: p, conflictPath }) =>
        io.out(`Conflict: "${p}" was changed here and on the server; your version is now "${conflictPath}".`),
    },
  });
  if (once) {
    try {
      await engine.syncNow();
      io.out(`In sync: ${folder} (${engine.syncedCount} files).`);
      return EXIT.ok;
    } finally {
      await engine.stop();
    }
  }
  io.out(`Syncing ${folder} with ${creds.serverUrl} as ${creds.username}. Stop with Ctrl-C.`);
  await engine.start();
  if (engine.status.kind === 'signedOut') {
    await engine.stop();
    io.err('mydropbox: The server no longer accepts this device. Sign in again with `mydropbox login`.');
    return EXIT.auth;
  }
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      io.out(`Stopping (${signal})…`);
      void engine.stop().then(() => resolve(EXIT.ok));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

function status(io: Out, dir: string): number {
  const creds = loadCredentials(dir);
  if (!creds) {
    io.out('Not signed in. Run `mydropbox login --server URL --username NAME`.');
    return EXIT.auth;
  }
  io.out(`Signed in as ${creds.username} at ${creds.serverUrl} (device "${creds.deviceName}").`);
  const folders = readFolderStatuses(dir);
  if (folders.length === 0) io.out('No folder synced yet. Start with: mydropbox sync');
  for (const f of folders) {
    const running = isAlive(f.pid) ? `running (pid ${f.pid})` : 'not running';
    io.out(`${f.folder}: ${describe(f.status as SyncStatus)}, ${running}, as of ${new Date(f.updatedAt).toLocaleString()}`);
  }
  return EXIT.ok;
}

async function logout(io: Out, dir: string): Promise<number> {
  const creds = loadCredentials(dir);
  if (!creds) {
    io.out('Not signed in.');
    return EXIT.ok;
  }
  await signOut(creds.serverUrl, creds.deviceToken);
  removeCredentials(dir);
  io.out(`Signed out ${creds.username}; this computer's device token is revoked.`);
  return EXIT.ok;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
