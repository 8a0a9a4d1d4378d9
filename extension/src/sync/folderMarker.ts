// The synced folder's marker (like Syncthing's .stfolder): made at the first sync, so a missing, moved or replaced folder never reads as "everything was deleted".
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MyDropboxError } from '@mydropbox/shared';

/** A hidden file at the top of the synced folder; never synced (ignore.ts). */
export const FOLDER_MARKER = '.mydropbox-folder';

/** Why syncing a folder stopped (MyDropboxError details.reason of a `folder_unavailable`), for hosts that add their own advice. */
export type FolderProblem = 'folderMissing' | 'markerMissing' | 'otherFolder' | 'otherAccount';

const NOTHING_DELETED = 'Nothing was deleted, here or on the server.';

function unavailable(reason: FolderProblem, message: string): MyDropboxError {
  return new MyDropboxError('folder_unavailable', message, { reason });
}

export function folderMissing(folder: string): MyDropboxError {
  return unavailable(
    'folderMissing',
    `The sync folder ${folder} is missing, so syncing it stopped. ${NOTHING_DELETED} If it is on a disk that is not mounted, mount it; if you moved it, sync it where it is now.`,
  );
}

function markerMissing(folder: string): MyDropboxError {
  return unavailable(
    'markerMissing',
    `${folder} is no longer the folder that was synced: its marker file ${FOLDER_MARKER} is gone (the folder was replaced or moved, or it is the empty mount point of a disk that is not mounted), so syncing it stopped. ${NOTHING_DELETED} Put the real folder back, or sync it where it is now.`,
  );
}

function otherFolder(folder: string): MyDropboxError {
  return unavailable(
    'otherFolder',
    `${folder} holds the marker of another synced folder (copied or restored from elsewhere?), so syncing it stopped. ${NOTHING_DELETED} Put the real folder back, or sync this one afresh.`,
  );
}

function readMarkerId(folder: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(folder, FOLDER_MARKER), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  try {
    const id = (JSON.parse(text) as { folderId?: unknown }).folderId;
    return typeof id === 'string' && id ? id : '';
  } catch {
    return ''; // there, but not ours to read: another folder's for all we know
  }
}

function writeMarker(folder: string, folderId: string): void {
  const text = JSON.stringify(
    {
      folderId,
      about:
        'MyDropbox syncs this folder. Keep this file: without it MyDropbox stops syncing the folder rather than read a missing or replaced folder as deleted files.',
    },
    null,
    2,
  );
  const file = path.join(folder, FOLDER_MARKER);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text + '\n', { mode: 0o644 });
  fs.renameSync(tmp, file);
}

function isDirectory(folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory(); // the folder itself may be a link the person made (to another disk); followed
  } catch {
    return false;
  }
}

export interface FolderOpening {
  /** Nothing was synced yet under this state: a missing folder may be made, and an existing marker is taken as ours. */
  firstSync: boolean;
  /** The marker id this state synced with; undefined for state made before markers existed. */
  knownId: string | undefined;
  /** For state made before markers: whether any file it lists is in the folder (then the folder is the synced one). */
  holdsAnySyncedFile(): boolean;
}

/**
 * Checks that `folder` is the folder this state synced (and makes it and its marker at a first sync);
 * returns the marker id. Throws `folder_unavailable` (nothing to delete from) otherwise.
 */
export function openSyncedFolder(folder: string, opening: FolderOpening): string {
  if (!isDirectory(folder)) {
    if (!opening.firstSync || fs.existsSync(folder)) throw folderMissing(folder);
    fs.mkdirSync(folder, { recursive: true });
  }
  const found = readMarkerId(folder);
  if (opening.firstSync) {
    if (found) return found;
    const id = randomBytes(12).toString('hex');
    writeMarker(folder, id);
    return id;
  }
  if (found === undefined) {
    if (opening.knownId !== undefined || !opening.holdsAnySyncedFile()) throw markerMissing(folder);
    const id = randomBytes(12).toString('hex'); // state from before markers, and the folder holds its files: mark it now
    writeMarker(folder, id);
    return id;
  }
  if (opening.knownId !== undefined && found !== opening.knownId) throw otherFolder(folder);
  if (!found) throw otherFolder(folder);
  return found;
}

/** The check before every step that could delete: the folder is still there with our marker. Throws `folder_unavailable`. */
export function checkSyncedFolder(folder: string, folderId: string): void {
  if (!isDirectory(folder)) throw folderMissing(folder);
  const found = readMarkerId(folder);
  if (found === undefined) throw markerMissing(folder);
  if (found !== folderId) throw otherFolder(folder);
}
