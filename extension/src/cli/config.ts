// Where the daemon keeps its state: the config directory, the credentials file (mode 0600) and one state folder per synced folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';

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

/** Each synced folder gets its own index and lock, named after the folder's absolute path. */
export function stateDirFor(dir: string, folder: string): string {
  const abs = path.resolve(folder);
  return path.join(dir, 'state', createHash('sha256').update(abs).digest('hex').slice(0, 16));
}

export interface FolderStatus {
  folder: string;
  pid: number;
  status: unknown;
  updatedAt: number;
}

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
