// Between what the editor names (file: and mydropbox: URIs) and what the engine and server name (folder-relative `/` paths).
import path from 'node:path';
import { isValidPath } from '@mydropbox/shared';
import type * as vscode from 'vscode';
import type { Host } from './host';

/** Files on the server, opened read-only: `mydropbox:/dir/name.txt`, or one kept version with `?version=ID`. */
export const SERVER_SCHEME = 'mydropbox';

/** The server path of a local file inside the sync folder; undefined for anything outside it (or the folder itself). */
export function relativePath(folder: string, uri: Pick<vscode.Uri, 'scheme' | 'fsPath' | 'path'>): string | undefined {
  if (uri.scheme === SERVER_SCHEME) {
    const rel = uri.path.replace(/^\/+/, '');
    return rel && isValidPath(rel) ? rel : undefined;
  }
  if (uri.scheme !== 'file') return undefined;
  const rel = path.relative(folder, uri.fsPath);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const posix = rel.split(path.sep).join('/');
  return isValidPath(posix) ? posix : undefined;
}

/**
 * The engine's name for a file below `folder`, by prefix alone (no validation: the engine answers only
 * for names it holds, and VS Code asks for every row it draws, so this stays a slice and a replace).
 */
export function pathBelow(folder: string, fsPath: string): string | undefined {
  if (fsPath.length <= folder.length + 1 || !fsPath.startsWith(folder) || fsPath[folder.length] !== path.sep) return undefined;
  const rel = fsPath.slice(folder.length + 1);
  return path.sep === '/' ? rel : rel.split(path.sep).join('/');
}

export function localUri(host: Host, folder: string, rel: string): vscode.Uri {
  return host.Uri.file(path.join(folder, ...rel.split('/')));
}

/** The server's current copy of `rel`, or one of its kept versions. */
export function serverUri(host: Host, rel: string, versionId?: string): vscode.Uri {
  return host.Uri.from({
    scheme: SERVER_SCHEME,
    path: `/${rel}`,
    ...(versionId ? { query: `version=${encodeURIComponent(versionId)}` } : {}),
  });
}

/** The version id a server URI names, if any. */
export function versionOf(uri: Pick<vscode.Uri, 'query'>): string | undefined {
  return new URLSearchParams(uri.query).get('version') ?? undefined;
}
