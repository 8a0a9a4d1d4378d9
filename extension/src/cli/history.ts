// `mydropbox history PATH` and `mydropbox restore PATH [--version ID]`: the server's kept versions of a file, and bringing one back.
import path from 'node:path';
import { formatBytes, isValidPath, MyDropboxError, normalizePath, type VersionEntry } from '@mydropbox/shared';
import { RemoteClient, type Session } from '../sync';

export const HISTORY_HELP = `mydropbox history PATH [--folder DIR]

Lists what the server keeps of PATH, newest first: the current version, then each older one (kept
30 days after it was replaced), with when it was written, its size, the device that wrote it and its
id. PATH is a file in a synced folder (as a path on this computer, e.g. ~/myDropbox/notes/a.txt or
notes/a.txt from inside ~/myDropbox), or its path on the server (notes/a.txt). A deleted file is
listed too: restore it with \`mydropbox restore PATH\`.

Exit codes: 0 listed, 1 wrong usage, 2 not signed in, 3 the server cannot be reached,
8 the server has no such file and never had (or keeps no version of it).
`;

export const RESTORE_HELP = `mydropbox restore PATH [--version ID] [--folder DIR]

Brings a version of PATH back as its current version: the one with id ID (see \`mydropbox history
PATH\`), or without --version the newest one kept (what a deleted file last held). Nothing is
overwritten: the version it replaces is kept in the history too, and if PATH is taken (a deleted
file whose name is used again) the version comes back beside it as "name (restored).ext". Prints
where it was restored; a running \`mydropbox sync\` brings it to every device.

Exit codes: 0 restored, 1 wrong usage, 2 not signed in, 3 the server cannot be reached,
4 no room (quota full, or the data server is out of space), 8 no such file or version on the server.
`;

/** Where the person's synced folders are on this computer, to turn a local path into the server's. */
export interface FolderHints {
  /** Synced folders (absolute), the one named with --folder first. */
  folders: string[];
  cwd: string;
}

/**
 * The server path PATH means: a local path inside one of the synced folders (absolute, or relative to
 * the current directory) gives its path below that folder; anything else is taken as a server path.
 */
export function serverPathOf(arg: string, hints: FolderHints): string {
  const local = path.resolve(hints.cwd, arg);
  for (const folder of hints.folders) {
    const rel = path.relative(folder, local);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return checked(rel.split(path.sep).join('/'), arg);
  }
  if (path.isAbsolute(arg)) {
    throw new MyDropboxError(
      'invalid_request',
      `"${arg}" is not inside a synced folder (${hints.folders.join(', ') || 'none yet'}); give its path on the server, or --folder DIR.`,
    );
  }
  return checked(arg.replace(/^\.\//, ''), arg);
}

function checked(p: string, arg: string): string {
  let normal: string;
  try {
    normal = normalizePath(p);
  } catch (err) {
    throw new MyDropboxError('invalid_request', `"${arg}" is not a path the server can hold: ${(err as Error).message}`);
  }
  if (!isValidPath(normal)) throw new MyDropboxError('invalid_request', `"${arg}" is not a path the server can hold.`);
  return normal;
}

const REPLACED_BY: Record<VersionEntry['reason'], string> = {
  edit: 'replaced by an edit',
  delete: 'deleted',
  move: 'moved away',
  restore: 'replaced by a restore',
};

function when(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Rows of equal-width columns. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

export async function history(session: Session, serverPath: string, out: (s: string) => void): Promise<void> {
  const res = await new RemoteClient(session).versions(serverPath);
  const rows: string[][] = [['ID', 'WRITTEN', 'SIZE', 'DEVICE', '']];
  if (res.current)
    rows.push([
      'current',
      when(res.current.modifiedAt),
      formatBytes(res.current.size),
      res.current.device ?? '-',
      `revision ${res.current.rev}`,
    ]);
  for (const v of res.versions)
    rows.push([
      v.id,
      when(v.modifiedAt),
      formatBytes(v.size),
      v.device ?? '-',
      `${REPLACED_BY[v.reason] ?? v.reason} ${when(v.replacedAt)}`,
    ]);
  out(
    res.current
      ? `${res.path}: the current version and ${res.versions.length} kept, newest first`
      : `${res.path}: deleted; ${res.versions.length} version${res.versions.length === 1 ? '' : 's'} kept, newest first`,
  );
  for (const line of table(rows)) out(`  ${line}`);
  if (res.versions.length === 0) out('No older version is kept.');
  else
    out(
      res.current
        ? `Bring one back with: mydropbox restore ${quoted(res.path)} --version ID`
        : `Bring it back with: mydropbox restore ${quoted(res.path)} (the newest), or --version ID`,
    );
}

export async function restore(
  session: Session,
  serverPath: string,
  versionId: string | undefined,
  localFolder: string | undefined,
  out: (s: string) => void,
): Promise<void> {
  const res = await new RemoteClient(session).restore({ path: serverPath, ...(versionId !== undefined ? { versionId } : {}) });
  const beside = res.restoredTo !== serverPath ? ` (beside it: "${serverPath}" is taken)` : '';
  out(
    `Restored ${quoted(serverPath)}${versionId ? ` version ${versionId}` : ''} as ${quoted(res.restoredTo)}${beside}, ${formatBytes(res.file.size)}.`,
  );
  if (localFolder) out(`On this computer: ${path.join(localFolder, ...res.restoredTo.split('/'))} (once synced).`);
}

function quoted(p: string): string {
  return /^[\w./-]+$/.test(p) ? p : JSON.stringify(p);
}
