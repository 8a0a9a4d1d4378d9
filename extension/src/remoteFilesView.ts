// The "Remote Files" view: the account's tree on the server, one folder per request as the person expands it, with size, modified and the device that changed each file last.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { baseName } from '@mydropbox/shared';
import type * as vscode from 'vscode';
import { formatAgo, formatBytesFixed, formatDate } from './format';
import type { Host } from './host';
import { t } from './l10n';
import type { ServerEntry } from './serverFiles';
import type { SyncController } from './syncController';
import { localUri, serverUri } from './syncPaths';

export const REMOTE_FILES_VIEW = 'mydropbox.remoteFiles';

/** The server's tree is fetched again at most this often while changes keep arriving. */
const REFRESH_MS = 1500;

export class RemoteFilesView implements vscode.TreeDataProvider<ServerEntry>, vscode.Disposable {
  private readonly changes: vscode.EventEmitter<ServerEntry | undefined>;
  readonly onDidChangeTreeData: vscode.Event<ServerEntry | undefined>;
  readonly view: vscode.TreeView<ServerEntry>;
  private readonly disposables: vscode.Disposable[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;
  private stale = false;

  constructor(
    private readonly host: Host,
    private readonly controller: SyncController,
    private readonly now: () => number = Date.now,
  ) {
    this.changes = new host.EventEmitter<ServerEntry | undefined>();
    this.onDidChangeTreeData = this.changes.event;
    this.view = host.window.createTreeView(REMOTE_FILES_VIEW, { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(
      this.view,
      this.changes,
      // Sign-in, sign-out and the feed's changes (which come as the engine's paths) change the tree.
      controller.listen({
        engineChanged: () => this.refreshSoon(),
        pathsChanged: () => this.refreshSoon(),
        status: (s) => {
          if (s.kind === 'signedOut') this.refresh();
        },
      }),
      this.view.onDidChangeVisibility((e) => {
        if (e.visible && this.stale) this.refresh();
      }),
    );
  }

  refresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.stale = false;
    this.changes.fire(undefined);
  }

  async getChildren(element?: ServerEntry): Promise<ServerEntry[]> {
    const remote = this.controller.remote();
    if (!remote) {
      this.view.message = undefined; // the welcome content (sign in) shows instead
      return [];
    }
    try {
      const listing = await remote.entries(element?.path ?? '', 1);
      this.view.message =
        element || listing.children.length ? undefined : t('Your MyDropbox is empty. Files you add to your folder show here.');
      // Folders first, then files, each by name as a person reads it.
      return [...listing.children].sort(
        (a, b) => (a.kind === b.kind ? 0 : a.kind === 'folder' ? -1 : 1) || baseName(a.path).localeCompare(baseName(b.path)),
      );
    } catch (err) {
      this.view.message = t('Could not list your files on the server: {0}', err instanceof Error ? err.message : String(err));
      return [];
    }
  }

  getTreeItem(entry: ServerEntry): vscode.TreeItem {
    const folder = entry.kind === 'folder';
    const item = new this.host.TreeItem(
      baseName(entry.path),
      folder ? this.host.TreeItemCollapsibleState.Collapsed : this.host.TreeItemCollapsibleState.None,
    );
    item.id = `${entry.kind}:${entry.path}`;
    item.resourceUri = serverUri(this.host, entry.path); // the file icon theme picks the icon from the name
    item.contextValue = folder ? 'remoteFolder' : 'remoteFile';
    const when = entry.modifiedAt > 0 ? formatAgo(entry.modifiedAt, this.now()) : undefined;
    item.description = (folder ? [when] : [formatBytesFixed(entry.size), when, entry.device ?? undefined]).filter(Boolean).join(' · ');
    const tooltip = new this.host.MarkdownString();
    tooltip.appendMarkdown(`**${escapeMarkdown(baseName(entry.path))}**\n\n`);
    if (!folder) tooltip.appendMarkdown(`${escapeMarkdown(t('Size: {0}', formatBytesFixed(entry.size)))}  \n`);
    if (entry.modifiedAt > 0) tooltip.appendMarkdown(`${escapeMarkdown(t('Modified: {0}', formatDate(entry.modifiedAt)))}  \n`);
    if (entry.device) tooltip.appendMarkdown(`${escapeMarkdown(t('Last changed on: {0}', entry.device))}  \n`);
    tooltip.appendMarkdown(escapeMarkdown(t('On the server: {0}', entry.path)));
    item.tooltip = tooltip;
    item.accessibilityInformation = { label: [baseName(entry.path), item.description].filter(Boolean).join(', ') };
    if (!folder)
      item.command = {
        title: t('Open from the Server'),
        command: 'vscode.open',
        arguments: [serverUri(this.host, entry.path), { preview: true }],
      };
    return item;
  }

  getParent(entry: ServerEntry): ServerEntry | undefined {
    const slash = entry.path.lastIndexOf('/');
    if (slash < 0) return undefined;
    return { kind: 'folder', path: entry.path.slice(0, slash), size: 0, contentHash: null, rev: null, modifiedAt: 0, createdAt: 0 };
  }

  /** Saves a copy of a server file wherever the person chooses (the synced copy stays as it is). */
  async download(entry: ServerEntry): Promise<void> {
    const remote = this.controller.remote();
    if (!remote || entry.kind !== 'file') return;
    const target = await this.host.window.showSaveDialog({
      defaultUri: this.host.Uri.file(path.join(downloadsFolder(), baseName(entry.path))),
      saveLabel: t('Download'),
      title: t('Download {0} from MyDropbox', baseName(entry.path)),
    });
    if (!target) return;
    await this.host.window.withProgress(
      {
        location: this.host.ProgressLocation.Notification,
        title: t('MyDropbox: downloading {0}', baseName(entry.path)),
        cancellable: true,
      },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        const partial = `${target.fsPath}.mydropbox-download`;
        const out = fs.createWriteStream(partial);
        try {
          const { body } = await remote.download(entry.path, abort.signal);
          let done = 0;
          for await (const chunk of body) {
            if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
            const before = done;
            done += chunk.length;
            if (entry.size > 0)
              progress.report({
                increment: ((done - before) / entry.size) * 100,
                message: `${formatBytesFixed(done)} / ${formatBytesFixed(entry.size)}`,
              });
          }
          await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
          await fs.promises.rename(partial, target.fsPath);
        } catch (err) {
          out.destroy();
          await fs.promises.rm(partial, { force: true });
          if (abort.signal.aborted) return;
          throw err;
        }
        void this.host.window.showInformationMessage(t('MyDropbox: downloaded {0} to {1}.', baseName(entry.path), target.fsPath), {});
      },
    );
  }

  /** Shows the synced copy in the Explorer; says why when there is none on this computer. */
  async revealLocal(entry: ServerEntry): Promise<void> {
    const folder = this.controller.syncFolder;
    if (!folder || !this.controller.syncEngine) {
      void this.host.window.showInformationMessage(
        t('MyDropbox is not syncing a folder in this window, so there is no local copy to show.'),
        {},
      );
      return;
    }
    const uri = localUri(this.host, folder, entry.path);
    if (!fs.existsSync(uri.fsPath)) {
      void this.host.window.showInformationMessage(t('{0} is not on this computer yet (or it is ignored here).', entry.path), {});
      return;
    }
    await this.host.commands.executeCommand('revealInExplorer', uri);
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private refreshSoon(): void {
    if (!this.view.visible) {
      this.stale = true;
      return;
    }
    this.refreshTimer ??= setTimeout(() => this.refresh(), REFRESH_MS);
  }
}

function downloadsFolder(): string {
  const downloads = path.join(os.homedir(), 'Downloads');
  return fs.existsSync(downloads) ? downloads : os.homedir();
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
