// The Explorer's and the editor's MyDropbox menu: Add to .mydropboxignore, Open on Website, Compare with Server, and Compare Conflict / Keep Mine / Keep Theirs on conflicted copies.
import fs from 'node:fs';
import path from 'node:path';
import { baseName, parentPath } from '@mydropbox/shared';
import type * as vscode from 'vscode';
import { openConflictDiff } from './conflicts';
import type { Host } from './host';
import { t } from './l10n';
import { IGNORE_FILE, isConflictedCopy, originalOfConflictedCopy } from './sync';
import type { SyncController } from './syncController';
import { localUri, relativePath, serverUri } from './syncPaths';

/** What a menu hands a command: a Uri (Explorer, editor), a view item with a `path` or `resourceUri`, or nothing (the palette: the active editor). */
export type CommandTarget = vscode.Uri | { path: string; kind?: string } | { resourceUri?: vscode.Uri } | undefined;

/** The server paths a command is about: the Explorer's selection when there is one, else the clicked item, else the active editor. */
export function targetPaths(host: Host, controller: SyncController, target: unknown, selection?: unknown): string[] {
  const folder = controller.syncFolder;
  const all = Array.isArray(selection) && selection.length > 0 ? selection : [target ?? host.window.activeTextEditor?.document.uri];
  const paths: string[] = [];
  for (const item of all) {
    const rel = pathOf(folder, item);
    if (rel !== undefined && !paths.includes(rel)) paths.push(rel);
  }
  return paths;
}

function pathOf(folder: string | undefined, item: unknown): string | undefined {
  if (!item || typeof item !== 'object') return undefined;
  if ('scheme' in item && 'fsPath' in item) return relativePath(folder ?? '/nonexistent', item as vscode.Uri);
  if ('path' in item && typeof item.path === 'string' && 'kind' in item) return item.path; // a Remote Files entry
  if ('resourceUri' in item && item.resourceUri) return pathOf(folder, item.resourceUri);
  if ('transfer' in item) return pathOf(folder, { path: (item.transfer as { path: string }).path, kind: 'file' });
  if ('change' in item) return pathOf(folder, { path: (item.change as { path: string }).path, kind: 'file' });
  if ('reason' in item && 'path' in item && typeof item.path === 'string') return item.path;
  return undefined;
}

export class FileCommands {
  constructor(
    private readonly host: Host,
    private readonly controller: SyncController,
  ) {}

  /** Appends one anchored rule per path to the folder's .mydropboxignore; the files stay on the server and on disk. */
  async addToIgnore(paths: string[]): Promise<void> {
    const folder = this.requireFolder(paths);
    if (!folder) return;
    const file = path.join(folder, IGNORE_FILE);
    const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const lines = new Set(existing.split(/\r?\n/));
    const added: string[] = [];
    for (const rel of paths) {
      if (rel === IGNORE_FILE) continue;
      const isDir = fs.statSync(localUri(this.host, folder, rel).fsPath, { throwIfNoEntry: false })?.isDirectory() ?? false;
      const rule = `/${escapeIgnoreRule(rel)}${isDir ? '/' : ''}`;
      if (!lines.has(rule)) added.push(rule);
    }
    if (added.length === 0) {
      void this.host.window.showInformationMessage(t('MyDropbox already ignores {0}.', paths.join(', ')), {});
      return;
    }
    const header = existing ? (existing.endsWith('\n') ? '' : '\n') : `# ${t('Files MyDropbox does not sync (gitignore syntax).')}\n`;
    await fs.promises.appendFile(file, `${header}${added.join('\n')}\n`);
    void this.host.window.showInformationMessage(
      t(
        'MyDropbox no longer syncs {0}. Copies already on the server stay there; edit {1} to sync it again.',
        paths.map((p) => baseName(p)).join(', '),
        IGNORE_FILE,
      ),
      {},
    );
  }

  /** The website's file list, at the folder holding the path (or the folder itself). */
  async openOnWebsite(rel: string | undefined, isFolder = false): Promise<void> {
    const dir = rel === undefined ? '' : isFolder ? rel : parentPath(rel);
    const url = new URL('/files', this.controller.serverUrl);
    if (dir) url.searchParams.set('dir', dir);
    await this.host.env.openExternal(this.host.Uri.parse(url.toString()));
  }

  /** The server's copy on the left, this computer's on the right. */
  async compareWithServer(rel: string): Promise<void> {
    const folder = this.requireFolder([rel]);
    if (!folder) return;
    const title = t('{0} (server ↔ this computer)', baseName(rel));
    await this.host.commands.executeCommand('vscode.diff', serverUri(this.host, rel), localUri(this.host, folder, rel), title);
  }

  async compareConflict(copy: string): Promise<void> {
    const pair = this.conflictPair(copy);
    if (!pair) return;
    await openConflictDiff(this.host, localUri(this.host, pair.folder, copy), localUri(this.host, pair.folder, pair.original));
  }

  /** Your version (the copy) replaces the server's at the original path; the server keeps the replaced one in its history. */
  async keepMine(copy: string): Promise<boolean> {
    const pair = this.conflictPair(copy);
    const confirmed =
      pair &&
      (await this.confirm(
        t('Keep your version of {0}?', pair.original),
        t(
          "Your version (the conflicted copy) replaces the server's at {0}, and the copy goes away. The replaced version stays in the server's version history.",
          pair.original,
        ),
        t('Keep Mine'),
      ));
    if (!pair || !confirmed) return false;
    await fs.promises.rename(localUri(this.host, pair.folder, copy).fsPath, localUri(this.host, pair.folder, pair.original).fsPath);
    return true;
  }

  /** The server's version (at the original path) stays; the copy goes to the trash. */
  async keepTheirs(copy: string): Promise<boolean> {
    const pair = this.conflictPair(copy);
    const confirmed =
      pair &&
      (await this.confirm(
        t("Keep the server's version of {0}?", pair.original),
        t('Your conflicted copy is moved to the trash where there is one; the server keeps it in its version history.'),
        t('Keep Theirs'),
      ));
    if (!pair || !confirmed) return false;
    const uri = localUri(this.host, pair.folder, copy);
    try {
      await this.host.workspace.fs.delete(uri, { useTrash: true });
    } catch {
      // No trash here (a server without one): the copy is on the server, which keeps it as a version once deleted.
      await this.host.workspace.fs.delete(uri, { useTrash: false });
    }
    return true;
  }

  /** A modal question with one button; true when the person chose it. */
  private async confirm(question: string, detail: string, button: string): Promise<boolean> {
    return (await this.host.window.showWarningMessage(question, { modal: true, detail }, button)) === button;
  }

  private conflictPair(copy: string): { folder: string; original: string } | undefined {
    const folder = this.requireFolder([copy]);
    if (!folder) return undefined;
    const original = isConflictedCopy(copy) ? originalOfConflictedCopy(copy) : undefined;
    if (!original) {
      void this.host.window.showInformationMessage(t('{0} is not a conflicted copy.', baseName(copy)), {});
      return undefined;
    }
    return { folder, original };
  }

  /** The sync folder, or a message saying why there is none for these paths. */
  private requireFolder(paths: string[]): string | undefined {
    const folder = this.controller.syncFolder;
    if (!folder || !this.controller.syncEngine) {
      void this.host.window.showInformationMessage(t('MyDropbox is not syncing a folder in this window.'), {});
      return undefined;
    }
    if (paths.length === 0) {
      void this.host.window.showInformationMessage(t('Choose a file in your MyDropbox folder ({0}) first.', folder), {});
      return undefined;
    }
    return folder;
  }
}

/** A path as a gitignore rule that matches exactly it: wildcards, a leading ! or #, and trailing spaces escaped. */
export function escapeIgnoreRule(rel: string): string {
  return rel
    .replace(/[\\*?[\]]/g, '\\$&')
    .replace(/^([!#])/, '\\$1')
    .replace(/ $/, '\\ ');
}
