// The `mydropbox` daemon: the sync engine with a terminal face (login, sync, sync --once, status, logout).
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { classify, MyDropboxError } from '@mydropbox/shared';
import { SyncEngine, deviceTokenSession, discover, displayPath, signIn, signOut, type NotSyncedItem, type SyncStatus } from '../sync';
import {
  adoptLegacyState,
  configDir,
  daemonStateDir,
  defaultFolder,
  loadCredentials,
  loadSignedOutNote,
  MAX_LISTED,
  readFolderStatuses,
  removeCredentials,
  removeSignedOutNote,
  saveCredentials,
  saveSignedOutNote,
  writeFolderStatus,
  type Credentials,
} from './config';
import { readPassword } from './prompt';
import { history, HISTORY_HELP, restore, RESTORE_HELP, serverPathOf } from './history';
import { keepYoungGenerationSmall } from './youngGeneration';
// The manifest's version: esbuild inlines the JSON into the bundled daemon, tsx reads it from the repository.
import { version } from '../../package.json';

export const EXIT = { ok: 0, usage: 1, auth: 2, unreachable: 3, quota: 4, other: 5, notSynced: 6, folder: 7, notFound: 8 } as const;

export const HELP = `mydropbox: keep a folder in sync with your MyDropbox server

Usage:
  mydropbox login --server URL --username NAME [--device NAME]
      Sign this computer in. URL is the address \`npm start\` prints. The password is asked for
      without echo, or taken from MYDROPBOX_PASSWORD.
  mydropbox sync [DIR]          Sync DIR (default ~/myDropbox, created at its first sync) until stopped (Ctrl-C).
  mydropbox sync --once [DIR]   One full pass both ways; exits 0 when everything is in sync.
  mydropbox sync --reset [DIR]  Sync DIR as if for the first time: nothing is deleted on either side (files
                                only here are uploaded, files only on the server come down, and both versions
                                of a file that differs are kept). The way on after "the folder was replaced".
  mydropbox status              Who is signed in, each synced folder's last state, and what is not synced.
  mydropbox history PATH        The versions the server keeps of a file (also a deleted one): when, size, device, id.
  mydropbox restore PATH [--version ID]
                                Bring back a version (default: the newest kept; for a deleted file, what it last
                                held). Nothing is overwritten. \`mydropbox history --help\` and \`restore --help\` say more.
  mydropbox logout              Revoke this computer's device token and forget it.

A synced folder holds a hidden marker file, .mydropbox-folder. If the folder or its marker goes missing
(a disk not mounted, a folder moved or replaced), syncing stops and nothing is deleted anywhere.
Symbolic links, names the server cannot store and unreadable files are not synced; they are listed.

Options: --help, --version. State lives in ~/.config/mydropbox (MYDROPBOX_CONFIG_DIR overrides it);
the token file is readable by you alone. MYDROPBOX_LOG=debug shows more.

Exit codes:
  0  ok (for sync --once: everything is in sync)
  1  wrong usage
  2  sign-in problem: wrong username or password, not signed in, or this device was signed out (revoked on the
     website's Devices page): a running sync stops, says so, and lets go of its folder; status then says "Signed out"
  3  the server cannot be reached
  4  your quota is full, or your data server is out of space
  5  anything else (the message says what)
  6  sync --once: everything else is in sync, but some items are not synced (listed, with why)
  7  the sync folder is missing or was replaced (its marker is gone); nothing was deleted
  8  history, restore: the server has no such file, or no such version of it
`;

type Out = { out: (s: string) => void; err: (s: string) => void };
const stdio: Out = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

/** Runs one command and returns its exit code (the process exits with it). */
export async function runCli(argv: string[], io: Out = stdio, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // `restore --version ID` takes a value; everywhere else --version prints the daemon's version.
  const restoring = argv.find((a) => !a.startsWith('-')) === 'restore';
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
        reset: { type: 'boolean' },
        folder: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: restoring ? 'string' : 'boolean' },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${restoring ? RESTORE_HELP : HELP}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (command === 'history' || command === 'restore') {
    const help = command === 'history' ? HISTORY_HELP : RESTORE_HELP;
    if (values.help) {
      io.out(help);
      return EXIT.ok;
    }
    if (rest.length !== 1) {
      io.err(`${command} takes one PATH.\n\n${help}`);
      return EXIT.usage;
    }
    try {
      return await historyOrRestore(io, configDir(env), command, rest[0]!, {
        folder: values.folder,
        versionId: typeof values.version === 'string' ? values.version : undefined,
      });
    } catch (err) {
      return fail(io, err);
    }
  }
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
        return await sync(io, env, dir, rest[0], { once: values.once ?? false, reset: values.reset ?? false });
      case 'status':
        return await status(io, dir);
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

/** `mydropbox history PATH`, `mydropbox restore PATH [--version ID]`: PATH on this computer or on the server. */
async function historyOrRestore(
  io: Out,
  dir: string,
  command: 'history' | 'restore',
  arg: string,
  opts: { folder?: string; versionId?: string },
): Promise<number> {
  const creds = loadCredentials(dir);
  if (!creds) {
    io.err('mydropbox: Not signed in. Run `mydropbox login --server URL --username NAME` first.');
    return EXIT.auth;
  }
  if (opts.versionId !== undefined && !opts.versionId.trim()) return usage(io, '--version needs the ID `mydropbox history PATH` shows.');
  // This account's synced folders, the one named first: a local path inside one is turned into its path on the server.
  const known = readFolderStatuses(dir)
    .filter((f) => (f.username ?? creds.username) === creds.username && (f.serverUrl ?? creds.serverUrl) === creds.serverUrl)
    .map((f) => f.folder);
  const folders = [...new Set([...(opts.folder ? [path.resolve(opts.folder)] : []), ...known, defaultFolder()])];
  let serverPath: string;
  try {
    serverPath = serverPathOf(arg, { folders, cwd: process.cwd() });
  } catch (err) {
    return usage(io, (err as Error).message);
  }
  const session = deviceTokenSession(creds.serverUrl, creds.deviceToken);
  try {
    if (command === 'history') await history(session, serverPath, io.out);
    else {
      const local = path.resolve(process.cwd(), arg);
      const folder = folders.find((f) => local.startsWith(f + path.sep)) ?? (opts.folder ? path.resolve(opts.folder) : known[0]);
      await restore(session, serverPath, opts.versionId, folder, io.out);
    }
  } catch (err) {
    if (MyDropboxError.is(err, 'not_found')) {
      io.err(
        `mydropbox: ${err.message}${
          opts.versionId !== undefined ? ` (\`mydropbox history ${JSON.stringify(serverPath)}\` lists the versions kept)` : ''
        }`,
      );
      return EXIT.notFound;
    }
    // A path or version id the server refuses as malformed: the person typed it.
    if (MyDropboxError.is(err, 'invalid_request') || MyDropboxError.is(err, 'invalid_path')) return usage(io, err.message);
    throw err;
  }
  return EXIT.ok;
}

/** Turns an error into a message a person can act on and the documented exit code. */
export function exitCodeFor(err: unknown): number {
  const { kind } = classify(err);
  if (kind === 'auth') return EXIT.auth;
  if (MyDropboxError.is(err, 'quota_exceeded') || MyDropboxError.is(err, 'insufficient_storage')) return EXIT.quota;
  if (MyDropboxError.is(err, 'folder_unavailable')) return EXIT.folder;
  if (kind === 'offline') return EXIT.unreachable;
  return EXIT.other;
}

/** The server's disk is full: the person's files are not at risk, and nothing is for them to do but wait (or tell the admin). */
const OUT_OF_SPACE = 'Your data server is out of space; your files are safe here and will upload when it has room.';

function fail(io: Out, err: unknown, folder?: string): number {
  const code = exitCodeFor(err);
  const message = MyDropboxError.is(err, 'insufficient_storage') ? OUT_OF_SPACE : err instanceof Error ? err.message : String(err);
  io.err(`mydropbox: ${message}${hintFor(err, folder)}`);
  return code;
}

/** What the person can do next, for the errors where the daemon knows better than the engine. */
function hintFor(err: unknown, folder?: string): string {
  if (MyDropboxError.is(err, 'folder_unavailable')) {
    const where = folder ? ` ${JSON.stringify(folder)}` : ' DIR';
    return err.details?.reason === 'folderMissing'
      ? ''
      : ` To sync this folder afresh anyway (nothing is deleted; the server's files come back): mydropbox sync --reset${where}`;
  }
  const code = exitCodeFor(err);
  if (code === EXIT.auth && MyDropboxError.is(err) && err.details?.signedOut === true) return ''; // stoppedBecause says how to sign in
  if (code === EXIT.auth && !MyDropboxError.is(err, 'bad_credentials')) return ' Sign in again with `mydropbox login`.';
  if (MyDropboxError.is(err, 'quota_exceeded')) return ' Delete files (or move them out of the folder) to free space.';
  return '';
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
  removeSignedOutNote(dir);
  if (previous && previous.deviceToken !== res.deviceToken) await signOut(previous.serverUrl, previous.deviceToken).catch(() => undefined);
  io.out(`Signed in as ${res.username} at ${serverUrl}. Start syncing with: mydropbox sync`);
  return EXIT.ok;
}

function describe(status: SyncStatus): string {
  switch (status.kind) {
    case 'upToDate':
      return status.notSynced
        ? `Up to date, but ${plural(status.notSynced, 'item')} not synced (\`mydropbox status\` lists them)`
        : 'Up to date';
    case 'syncing':
      return `Syncing ${status.pending} file${status.pending === 1 ? '' : 's'}…${
        status.retryAt
          ? ` (trying again in ${Math.max(0, Math.round((status.retryAt - Date.now()) / 1000))} s: ${status.reason ?? ''})`
          : ''
      }`;
    case 'paused':
      return 'Paused';
    case 'offline':
      return `Offline: ${status.reason}${status.retryAt ? `; retrying in ${Math.max(0, Math.round((status.retryAt - Date.now()) / 1000))} s` : ''}`;
    case 'signedOut':
      return 'Signed out: run `mydropbox login`';
    case 'error':
      return `${status.stopped ? 'Stopped' : 'Error'}: ${status.message}`;
  }
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** The not-synced list as lines for a terminal (paths escaped where they hold control characters). */
function listNotSynced(items: readonly NotSyncedItem[], total = items.length): string {
  const lines = items.map((i) => `  ${displayPath(i.path)}: ${i.message}`);
  if (total > items.length) lines.push(`  … and ${total - items.length} more`);
  return `${plural(total, 'item')} not synced:\n${lines.join('\n')}`;
}

async function sync(
  io: Out,
  env: NodeJS.ProcessEnv,
  dir: string,
  folderArg: string | undefined,
  opts: { once: boolean; reset: boolean },
): Promise<number> {
  const creds = loadCredentials(dir);
  if (!creds) {
    io.err('mydropbox: Not signed in. Run `mydropbox login --server URL --username NAME` first.');
    return EXIT.auth;
  }
  keepYoungGenerationSmall();
  const folder = path.resolve(folderArg ?? defaultFolder());
  const session = deviceTokenSession(creds.serverUrl, creds.deviceToken);
  const owner = { serverUrl: creds.serverUrl, username: creds.username, folder };
  const dataServerUrl = await session.getAccessToken().then(
    (t) => t.dataServerUrl,
    () => undefined,
  );
  if (adoptLegacyState(dir, owner, dataServerUrl) === 'setAside')
    io.err(
      `${new Date().toISOString()} info: state from an older version could not be proven to be ${creds.username}'s; this is a first sync (nothing is deleted).`,
    );
  const stateDir = daemonStateDir(dir, owner);
  const debug = env.MYDROPBOX_LOG === 'debug';
  let lastLine = '';
  let current: SyncStatus | undefined;
  let items: NotSyncedItem[] = [];
  const saveStatus = () => {
    if (current)
      writeFolderStatus(stateDir, {
        folder,
        serverUrl: creds.serverUrl,
        username: creds.username,
        pid: process.pid,
        status: current,
        updatedAt: Date.now(),
        notSynced: items.slice(0, MAX_LISTED),
        notSyncedCount: items.length,
      });
  };
  let onStopped: ((reason: MyDropboxError) => void) | undefined;
  const stoppedItself = new Promise<MyDropboxError>((resolve) => (onStopped = resolve));
  const engine = new SyncEngine({
    folder,
    stateDir,
    session,
    deviceName: creds.deviceName,
    reset: opts.reset,
    events: {
      status: (s) => {
        current = s;
        saveStatus();
        const line = describe(s);
        if (line !== lastLine && (s.kind !== 'syncing' || !opts.once)) io.out(`${new Date().toISOString()} ${line}`);
        lastLine = line;
      },
      notSynced: (list) => {
        items = list;
        saveStatus();
      },
      log: (level, message) => {
        if (level !== 'debug' || debug) io.err(`${new Date().toISOString()} ${level}: ${message}`);
      },
      conflict: ({ path: p, conflictPath }) =>
        io.out(`Conflict: "${p}" was changed here and on the server; your version is now "${conflictPath}".`),
      stopped: (reason) => onStopped?.(reason),
    },
  });
  if (opts.once) {
    try {
      await engine.syncNow();
    } catch (err) {
      await engine.stop();
      if (engine.notSynced.length) io.out(listNotSynced(engine.notSynced));
      return stoppedBecause(io, dir, creds, err, folder);
    }
    await engine.stop();
    const left = engine.notSynced;
    if (left.length) {
      io.out(listNotSynced(left));
      io.out(`In sync except ${plural(left.length, 'item')} not synced: ${folder} (${engine.syncedCount} files).`);
      return EXIT.notSynced;
    }
    io.out(`In sync: ${folder} (${engine.syncedCount} files).`);
    return EXIT.ok;
  }
  io.out(`Syncing ${folder} with ${creds.serverUrl} as ${creds.username}. Stop with Ctrl-C.`);
  try {
    await engine.start();
  } catch (err) {
    await engine.stop();
    return stoppedBecause(io, dir, creds, err, folder);
  }
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const first = await Promise.race([signalled, stoppedItself]);
  if (typeof first === 'string') io.out(`Stopping (${first})…`);
  await engine.stop();
  return typeof first === 'string' ? EXIT.ok : stoppedBecause(io, dir, creds, first, folder);
}

/**
 * Syncing ended on an error: said in words with what to do. A token the server refused is forgotten (it
 * is useless now), and a note says so to `mydropbox status`; the engine has let go of the folder.
 */
function stoppedBecause(io: Out, dir: string, creds: Credentials, err: unknown, folder: string): number {
  const code = fail(io, err, folder);
  if (code === EXIT.auth && loadCredentials(dir)?.deviceToken === creds.deviceToken) {
    removeCredentials(dir);
    saveSignedOutNote(dir, { serverUrl: creds.serverUrl, username: creds.username, deviceName: creds.deviceName, at: Date.now() });
    io.err(`To sync again, sign in: ${signInAgain(creds)}, then: mydropbox sync ${JSON.stringify(folder)}`);
  }
  return code;
}

function signInAgain(who: { serverUrl: string; username: string }): string {
  return `mydropbox login --server ${who.serverUrl} --username ${who.username}`;
}

async function status(io: Out, dir: string): Promise<number> {
  const creds = loadCredentials(dir);
  if (!creds) {
    const note = loadSignedOutNote(dir);
    if (note)
      io.out(
        `Signed out: this computer${note.deviceName ? ` ("${note.deviceName}")` : ''} was signed out of ${note.serverUrl} (account ${note.username}) ` +
          `at ${new Date(note.at).toLocaleString()}, on the website's Devices page or by signing out elsewhere. Syncing stopped; the files ` +
          `in its folders are left as they are. To sync again: ${signInAgain(note)}`,
      );
    else io.out('Signed out: not signed in on this computer. Run `mydropbox login --server URL --username NAME`.');
    return EXIT.auth;
  }
  const check = await deviceStillAccepted(creds);
  if (check === 'revoked') {
    io.out(
      `Signed out: ${creds.serverUrl} no longer accepts this computer's device token (it was signed out, e.g. from the website's Devices page). Sign in again with \`${signInAgain(creds)}\`.`,
    );
    return EXIT.auth;
  }
  io.out(
    `Signed in as ${creds.username} at ${creds.serverUrl} (device "${creds.deviceName}")${check === 'unreachable' ? '; the server cannot be reached right now' : ''}.`,
  );
  const folders = readFolderStatuses(dir);
  if (folders.length === 0) io.out('No folder synced yet. Start with: mydropbox sync');
  let code: number = EXIT.ok;
  for (const f of folders) {
    const running = isAlive(f.pid) ? `running (pid ${f.pid})` : 'not running';
    const whose =
      f.username && (f.username !== creds.username || f.serverUrl !== creds.serverUrl) ? ` [${f.username} at ${f.serverUrl}]` : '';
    const shown = f.status as SyncStatus;
    io.out(`${f.folder}${whose}: ${describe(shown)}, ${running}, as of ${new Date(f.updatedAt).toLocaleString()}`);
    if (f.notSynced?.length) io.out(listNotSynced(f.notSynced, f.notSyncedCount));
    if (!whose && shown.kind === 'signedOut') code = EXIT.auth;
  }
  return code;
}

/** Asks the router whether this device token still works (a few seconds at most): 'revoked' only on a clear refusal. */
async function deviceStillAccepted(creds: Credentials): Promise<'ok' | 'revoked' | 'unreachable'> {
  try {
    const { apiUrl } = await discover(creds.serverUrl);
    const res = await fetch(`${apiUrl}/me`, {
      headers: { authorization: `Bearer ${creds.deviceToken}` },
      signal: AbortSignal.timeout(5_000),
    });
    await res.arrayBuffer();
    return res.status === 401 ? 'revoked' : res.ok ? 'ok' : 'unreachable';
  } catch {
    return 'unreachable';
  }
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
