// Where an engine keeps its state: one directory per (server, account, folder), named by the one function both hosts call, and checked on open.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MyDropboxError } from '@mydropbox/shared';

/** Whose state a directory holds: the server address the person signed in to, the account, the synced folder. */
export interface StateOwner {
  serverUrl: string;
  username: string;
  folder: string;
}

/** What `identity.json` in a state directory records (written by the engine on first use). */
export interface StateIdentity extends StateOwner {
  /** The id in the folder's marker file (folderMarker.ts) this state was synced with. */
  folderId?: string;
}

const IDENTITY_FILE = 'identity.json';

function canonicalOwner(owner: StateOwner): StateOwner {
  return { serverUrl: owner.serverUrl.replace(/\/+$/, ''), username: owner.username, folder: path.resolve(owner.folder) };
}

/**
 * The state directory's name for (server, account, folder). Signing in to another account or server
 * gives another directory, so what one account last synced is never applied to another's files.
 */
export function stateKey(owner: StateOwner): string {
  const o = canonicalOwner(owner);
  return createHash('sha256').update(`${o.folder}\n${o.serverUrl}\n${o.username}`).digest('hex').slice(0, 24);
}

/** `root` is the host's place for engine state (the daemon's config dir `state/`, the extension's global storage `sync/`). */
export function stateDirFor(root: string, owner: StateOwner): string {
  return path.join(root, stateKey(owner));
}

export function readStateIdentity(stateDir: string): StateIdentity | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(stateDir, IDENTITY_FILE), 'utf8')) as Partial<StateIdentity>;
    if (typeof parsed.serverUrl !== 'string' || typeof parsed.folder !== 'string' || typeof parsed.username !== 'string') return undefined;
    return {
      serverUrl: parsed.serverUrl,
      username: parsed.username,
      folder: parsed.folder,
      ...(typeof parsed.folderId === 'string' ? { folderId: parsed.folderId } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Written whole (temp file, fsync, rename): a torn identity would read as "someone else's state". */
export function writeStateIdentity(stateDir: string, identity: StateIdentity): void {
  fs.mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, IDENTITY_FILE);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify({ ...canonicalOwner(identity), ...(identity.folderId ? { folderId: identity.folderId } : {}) }) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * Refuses a state directory recorded for another server, account or folder (a copied directory, or a
 * host that named it some other way): applying it would read every file it lists as deleted.
 * `username` may be unknown yet (the engine learns it from its first access token): then it is not compared.
 */
export function checkStateOwner(stateDir: string, want: Omit<StateOwner, 'username'> & { username?: string }): StateIdentity | undefined {
  const have = readStateIdentity(stateDir);
  if (!have) return undefined;
  const w = canonicalOwner({ ...want, username: want.username ?? have.username });
  if (have.serverUrl !== w.serverUrl || have.folder !== w.folder || have.username !== w.username)
    throw new MyDropboxError(
      'folder_unavailable',
      `The sync state in ${stateDir} belongs to ${have.username} at ${have.serverUrl} for ${have.folder}, not to ${w.username} at ${w.serverUrl} for ${w.folder}, so it is not used. Nothing was deleted, here or on the server.`,
      { reason: 'otherAccount' },
    );
  return have;
}

/** Forgets what was last synced in `stateDir` (the index and its folder id), so the next sync is a first sync that deletes nothing. */
export function resetState(stateDir: string): void {
  for (const name of ['index.jsonl', 'index.bin', 'index.jsonl.tmp', 'index.bin.tmp', 'folders.json'])
    fs.rmSync(path.join(stateDir, name), { force: true });
  const identity = readStateIdentity(stateDir);
  if (identity?.folderId) writeStateIdentity(stateDir, { ...identity, folderId: undefined });
}
