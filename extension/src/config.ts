// The extension's settings (`mydropbox.*`) and the rule that picks which folder to sync.
import os from 'node:os';
import path from 'node:path';
import type * as vscode from 'vscode';
import type { Host } from './host';

export const SECTION = 'mydropbox';
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:3000';
/** A workspace folder with this name is synced without any setting. */
export const SYNC_FOLDER_NAME = 'myDropbox';

export interface Settings {
  serverUrl: string;
  /** Absolute path from `mydropbox.folder`, or undefined when unset. */
  folder: string | undefined;
  /** `mydropbox.decorations`: sync state on files in the Explorer and on tabs. */
  decorations: boolean;
  /** `mydropbox.openConflictDiff`: a conflict opens both versions side by side at once. */
  openConflictDiff: boolean;
}

export function readSettings(host: Host): Settings {
  const config = host.workspace.getConfiguration(SECTION);
  const serverUrl = config.get<string>('serverUrl')?.trim() || DEFAULT_SERVER_URL;
  const rawFolder = config.get<string>('folder')?.trim();
  return {
    serverUrl,
    folder: rawFolder ? expandHome(rawFolder) : undefined,
    decorations: config.get<boolean>('decorations') !== false,
    openConflictDiff: config.get<boolean>('openConflictDiff') !== false,
  };
}

/**
 * The folder to sync: `mydropbox.folder` when set, else the workspace folder named `myDropbox`
 * (a local one; remote workspaces have no path the engine can watch), else none.
 */
export function resolveSyncFolder(
  settings: Pick<Settings, 'folder'>,
  workspaceFolders: readonly vscode.WorkspaceFolder[] | undefined,
): string | undefined {
  if (settings.folder) return settings.folder;
  const named = workspaceFolders?.find((f) => f.uri.scheme === 'file' && path.basename(f.uri.fsPath) === SYNC_FOLDER_NAME);
  return named?.uri.fsPath;
}

/** `~/x` in a setting means the home directory, as people type it. */
function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return path.resolve(p);
}

/** Accepts only http(s) addresses without credentials, and returns them without a trailing slash. */
export function normalizeServerUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new Error(`"${input}" is not a web address; use one like ${DEFAULT_SERVER_URL}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`The server address must start with http:// or https:// (got ${url.protocol}).`);
  }
  if (url.username || url.password) throw new Error('The server address must not contain a user name or password.');
  if (url.search || url.hash) throw new Error('The server address must not contain a query or fragment.');
  return url.toString().replace(/\/+$/, '');
}
