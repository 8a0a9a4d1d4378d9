// Where the daemon keeps its state: the config directory, the credentials file (mode 0600) and one state folder per (server, account, folder).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { stateDirFor, type NotSyncedItem, type StateOwner } from '../sync';

export interface Credentials {
  serverUrl: string;
  username: string;
  deviceToken: string;
  deviceName: string;
}

/** MYDROPBOX_CONFIG_DIR, else $XDG_CONFIG_HOME/mydropbox, else ~/.config/mydropbox. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MYDROPBOX_CONFIG_DIR) return path.resolve(env.MYDROPBOX_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'mydropbox');
}

export function defaultFolder(): string {
  return path.join(os.homedir(), 'myDropbox');
}

function credentialsFile(dir: string): string {
  return path.join(dir, 'credentials.json');
}

export function loadCredentials(dir: string): Credentials | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(credentialsFile(dir), 'utf8')) as Partial<Credentials>;
    if (typeof parsed.serverUrl !== 'string' || typeof parsed.deviceToken !== 'string' || typeof parsed.username !== 'string')
      return undefined;
    return {
      serverUrl: parsed.serverUrl,
      username: parsed.username,
      deviceToken: parsed.deviceToken,
      deviceName: parsed.deviceName ?? os.hostname(),
    };
  } catch {
    return undefined;
  }
}

/** Written to a temp file created with mode 0600 and renamed, so the token is never readable by others, not even briefly. */
export function saveCredentials(dir: string, creds: Credentials): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${credentialsFile(dir)}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, credentialsFile(dir));
}

export function removeCredentials(dir: string): void {
  fs.rmSync(credentialsFile(dir), { force: true });
}

/** Left when the server signed this computer out (its credentials are forgotten then), so `mydropbox status` can say so. */
export interface SignedOutNote {
  serverUrl: string;
  username: string;
  deviceName: string;
  at: number;
}

function signedOutFile(dir: string): string {
  return path.join(dir, 'signed-out.json');
}

export function saveSignedOutNote(dir: string, note: SignedOutNote): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(`${signedOutFile(dir)}.tmp`, JSON.stringify(note) + '\n', { mode: 0o600 });
  fs.renameSync(`${signedOutFile(dir)}.tmp`, signedOutFile(dir));
}

export function loadSignedOutNote(dir: string): SignedOutNote | undefined {
  try {
    const n = JSON.parse(fs.readFileSync(signedOutFile(dir), 'utf8')) as Partial<SignedOutNote>;
    if (typeof n.serverUrl !== 'string' || typeof n.username !== 'string' || typeof n.at !== 'number') return undefined;
    return { serverUrl: n.serverUrl, username: n.username, deviceName: typeof n.deviceName === 'string' ? n.deviceName : '', at: n.at };
  } catch {
    return undefined;
  }
}

export function removeSignedOutNote(dir: string): void {
  fs.rmSync(signedOutFile(dir), { force: true });
}

/** Each (server, account, folder) gets its own index and lock (the engine's one naming function, as the extension's). */
export function daemonStateDir(dir: string, owner: StateOwner): string {
  return stateDirFor(path.join(dir, 'state'), owner);
}

/**
 * State from before it was keyed by account too (named after the folder alone) is moved to its new
 * place only when its own records prove it is this account's on this data server (the saved feed
 * cursor names both); otherwise it is set aside, never applied, and the folder gets a first sync, which deletes nothing.
 * `dataServerUrl` is where this account's data lives now (undefined: unknown, offline).
 */
export function adoptLegacyState(dir: string, owner: StateOwner, dataServerUrl: string | undefined): 'none' | 'moved' | 'setAside' {
  const legacy = path.join(dir, 'state', createHash('sha256').update(path.resolve(owner.folder)).digest('hex').slice(0, 16));
  if (!fs.existsSync(legacy)) return 'none';
  const target = daemonStateDir(dir, owner);
  const proven =
    !fs.existsSync(target) && dataServerUrl !== undefined && cursorOwner(legacy) === JSON.stringify([dataServerUrl, owner.username]);
  if (proven) {
    fs.renameSync(legacy, target);
    return 'moved';
  }
  const aside = path.join(dir, 'state-set-aside');
  fs.mkdirSync(aside, { recursive: true });
  fs.renameSync(legacy, path.join(aside, `${path.basename(legacy)}-${Date.now()}-${randomBytes(3).toString('hex')}`));
  return 'setAside';
}

/** [data server address, account] of the newest feed cursor a legacy index saved (remoteTree.ts feedIdentity), if any. */
function cursorOwner(stateDir: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(stateDir, 'index.jsonl'), 'utf8');
  } catch {
    return undefined;
  }
  let owner: string | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('{"k":')) continue;
    try {
      const [url, sub] = JSON.parse((JSON.parse(line) as { s: string }).s) as [unknown, unknown];
      owner = typeof url === 'string' && typeof sub === 'string' ? JSON.stringify([url, sub]) : undefined;
    } catch {
      owner = undefined;
    }
  }
  return owner;
}

export interface FolderStatus {
  folder: string;
  /** Whose state it is (absent in files from before state was keyed by account). */
  serverUrl?: string;
  username?: string;
  pid: number;
  status: unknown;
  updatedAt: number;
  /** What is not synced and why (at most MAX_LISTED), and how many in all. */
  notSynced?: NotSyncedItem[];
  notSyncedCount?: number;
}

/** Items kept in status.json: enough to act on, bounded when a folder holds thousands of links. */
export const MAX_LISTED = 200;

export function writeFolderStatus(stateDir: string, status: FolderStatus): void {
  const file = path.join(stateDir, 'status.json');
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(status));
  fs.renameSync(`${file}.tmp`, file);
}

export function readFolderStatuses(dir: string): FolderStatus[] {
  const root = path.join(dir, 'state');
  let names: string[] = [];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  const out: FolderStatus[] = [];
  for (const name of names) {
    try {
      out.push(JSON.parse(fs.readFileSync(path.join(root, name, 'status.json'), 'utf8')) as FolderStatus);
    } catch {
      // a folder never synced to the end of its first status
    }
  }
  return out;
}
