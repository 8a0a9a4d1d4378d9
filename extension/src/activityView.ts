// The "Activity" view: transfers in progress (bytes, rate, progress; Cancel), items not synced with the reason (Retry), and the last changes in both directions.
import fs from 'node:fs';
import { baseName } from '@mydropbox/shared';
import type * as vscode from 'vscode';
import { formatAgo, formatBytesFixed, formatRate } from './format';
import type { Host } from './host';
import { t } from './l10n';
import { displayPath, type ActivityEvent, type ChangeKind, type TransferProgress } from './sync';
import type { SyncController } from './syncController';
import { localUri } from './syncPaths';
import { CONTEXT_KEYS, type ContextKeys } from './contextKeys';

export const ACTIVITY_VIEW = 'mydropbox.activity';

export interface RecentChange {
  path: string;
  change: ChangeKind;
  at: number;
  size?: number;
  conflictPath?: string;
}

export type ActivityNode =
  | { kind: 'group'; group: 'transfers' | 'notSynced' | 'recent'; count: number }
  | { kind: 'transfer'; transfer: TransferProgress }
  | { kind: 'notSynced'; path: string; reason: string }
  | { kind: 'recent'; change: RecentChange };

/** The recent list keeps this many changes (newest first). */
export const RECENT_LIMIT = 200;
/** Rows shown per group; the rest are counted in the group's label. */
const SHOWN_PER_GROUP = 100;
const TICK_MS = 1000;
const BATCH_MS = 200;

const CHANGE_WORDS: Record<ChangeKind, () => string> = {
  uploaded: () => t('uploaded'),
  downloaded: () => t('downloaded'),
  deletedHere: () => t('deleted here (deleted on the server)'),
  deletedOnServer: () => t('deleted on the server (deleted here)'),
  conflict: () => t('conflict: both versions kept'),
};

const CHANGE_ICONS: Record<ChangeKind, string> = {
  uploaded: 'cloud-upload',
  downloaded: 'cloud-download',
  deletedHere: 'trash',
  deletedOnServer: 'trash',
  conflict: 'warning',
};

export class ActivityView implements vscode.TreeDataProvider<ActivityNode>, vscode.Disposable {
  private readonly changes: vscode.EventEmitter<ActivityNode | undefined>;
  readonly onDidChangeTreeData: vscode.Event<ActivityNode | undefined>;
  readonly view: vscode.TreeView<ActivityNode>;
  private recent: RecentChange[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private tick: NodeJS.Timeout | undefined;
  private batch: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: Host,
    private readonly controller: SyncController,
    private readonly contextKeys: ContextKeys,
    private readonly now: () => number = Date.now,
  ) {
    this.changes = new host.EventEmitter<ActivityNode | undefined>();
    this.onDidChangeTreeData = this.changes.event;
    this.view = host.window.createTreeView(ACTIVITY_VIEW, { treeDataProvider: this });
    this.disposables.push(
      this.view,
      this.changes,
      controller.listen({
        activity: (e) => this.record(e),
        engineChanged: () => this.refreshSoon(),
        status: () => this.refreshSoon(),
      }),
    );
  }

  /** The changes listed under "Recent changes", newest first. */
  get recentChanges(): readonly RecentChange[] {
    return this.recent;
  }

  clearRecent(): void {
    this.recent = [];
    this.refresh();
  }

  getChildren(node?: ActivityNode): ActivityNode[] {
    const engine = this.controller.syncEngine;
    if (!node) {
      const transfers = engine?.transfers() ?? [];
      const notSynced = engine?.notSynced.length ?? 0;
      const groups: ActivityNode[] = [];
      if (transfers.length) groups.push({ kind: 'group', group: 'transfers', count: transfers.length });
      if (notSynced) groups.push({ kind: 'group', group: 'notSynced', count: notSynced });
      if (this.recent.length) groups.push({ kind: 'group', group: 'recent', count: this.recent.length });
      return groups;
    }
    if (node.kind !== 'group') return [];
    switch (node.group) {
      case 'transfers':
        return (engine?.transfers() ?? []).slice(0, SHOWN_PER_GROUP).map((transfer) => ({ kind: 'transfer', transfer }));
      case 'notSynced':
        return (engine?.notSynced ?? []).slice(0, SHOWN_PER_GROUP).map((i) => ({ kind: 'notSynced', path: i.path, reason: i.message }));
      case 'recent':
        return this.recent.slice(0, SHOWN_PER_GROUP).map((change) => ({ kind: 'recent', change }));
    }
  }

  getTreeItem(node: ActivityNode): vscode.TreeItem {
    const { TreeItem, TreeItemCollapsibleState, ThemeIcon, ThemeColor } = this.host;
    switch (node.kind) {
      case 'group': {
        const labels = {
          transfers: t('In progress ({0})', node.count),
          notSynced: t('Not synced ({0})', node.count),
          recent: t('Recent changes'),
        };
        const item = new TreeItem(labels[node.group], TreeItemCollapsibleState.Expanded);
        item.id = `group:${node.group}`;
        item.contextValue = `group:${node.group}`;
        return item;
      }
      case 'transfer': {
        const { transfer } = node;
        const item = new TreeItem(baseName(transfer.path), TreeItemCollapsibleState.None);
        item.id = `transfer:${transfer.path}`;
        item.description = describeTransfer(transfer, this.now());
        item.tooltip = `${transfer.direction === 'upload' ? t('Uploading {0}', transfer.path) : t('Downloading {0}', transfer.path)}\n${item.description}`;
        item.iconPath = new ThemeIcon(transfer.direction === 'upload' ? 'cloud-upload' : 'cloud-download');
        item.contextValue = 'transfer';
        item.accessibilityInformation = { label: `${item.label as string}, ${item.description}` };
        return item;
      }
      case 'notSynced': {
        const item = new TreeItem(baseName(displayPath(node.path)), TreeItemCollapsibleState.None);
        item.id = `notSynced:${node.path}`;
        item.description = node.reason;
        item.tooltip = t('{0} is not synced: {1}', displayPath(node.path), node.reason);
        item.iconPath = new ThemeIcon('error', new ThemeColor('errorForeground'));
        item.contextValue = 'notSynced';
        item.accessibilityInformation = { label: t('{0}, not synced: {1}', node.path, node.reason) };
        this.openLocal(item, node.path);
        return item;
      }
      case 'recent': {
        const { change } = node;
        const item = new TreeItem(baseName(change.path), TreeItemCollapsibleState.None);
        item.id = `recent:${change.at}:${change.change}:${change.path}`;
        item.description = [CHANGE_WORDS[change.change](), formatAgo(change.at, this.now())].join(' · ');
        item.tooltip =
          change.conflictPath !== undefined
            ? t('{0}: changed here and on the server; your version is kept as {1}', change.path, change.conflictPath)
            : `${change.path}: ${CHANGE_WORDS[change.change]()}${change.size !== undefined ? ` (${formatBytesFixed(change.size)})` : ''}`;
        item.iconPath = new ThemeIcon(CHANGE_ICONS[change.change]);
        item.contextValue = `recent:${change.change}`;
        item.accessibilityInformation = { label: `${item.label as string}, ${item.description}` };
        if (change.change !== 'deletedHere' && change.change !== 'deletedOnServer') this.openLocal(item, change.path);
        return item;
      }
    }
  }

  /** The path an item of this view stands for (for Cancel, Retry and the file commands). */
  static pathOf(node: ActivityNode | undefined): string | undefined {
    if (!node) return undefined;
    if (node.kind === 'transfer') return node.transfer.path;
    if (node.kind === 'notSynced') return node.path;
    if (node.kind === 'recent') return node.change.path;
    return undefined;
  }

  refresh(): void {
    clearTimeout(this.batch);
    this.batch = undefined;
    const engine = this.controller.syncEngine;
    const transfers = engine?.transfers().length ?? 0;
    const notSynced = engine?.notSynced.length ?? 0;
    this.contextKeys.set(CONTEXT_KEYS.hasNotSynced, notSynced > 0);
    this.view.badge = notSynced > 0 ? { value: notSynced, tooltip: t('{0} items not synced', notSynced) } : undefined;
    this.view.message =
      transfers + notSynced + this.recent.length === 0
        ? engine
          ? t('Nothing is moving. Uploads and downloads show here as they happen.')
          : undefined
        : undefined;
    // Rates and percentages move while something transfers: redraw every second until it ends.
    if (transfers > 0) this.tick ??= setInterval(() => this.changes.fire(undefined), TICK_MS);
    else {
      clearInterval(this.tick);
      this.tick = undefined;
    }
    this.changes.fire(undefined);
  }

  dispose(): void {
    clearTimeout(this.batch);
    clearInterval(this.tick);
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private record(event: ActivityEvent): void {
    if (event.kind === 'finished') {
      this.recent.unshift({
        path: event.path,
        change: event.change,
        at: event.at,
        ...(event.size !== undefined ? { size: event.size } : {}),
        ...(event.conflictPath !== undefined ? { conflictPath: event.conflictPath } : {}),
      });
      if (this.recent.length > RECENT_LIMIT) this.recent.length = RECENT_LIMIT;
    }
    this.refreshSoon();
  }

  private refreshSoon(): void {
    this.batch ??= setTimeout(() => this.refresh(), BATCH_MS);
  }

  private openLocal(item: vscode.TreeItem, rel: string): void {
    const folder = this.controller.syncFolder;
    if (!folder) return;
    const uri = localUri(this.host, folder, rel);
    item.resourceUri = uri;
    if (fs.existsSync(uri.fsPath)) item.command = { title: t('Open'), command: 'vscode.open', arguments: [uri] };
  }
}

export function describeTransfer(transfer: TransferProgress, now: number): string {
  const seconds = Math.max(0.001, (now - transfer.startedAt) / 1000);
  const percent = transfer.size > 0 ? Math.floor((transfer.bytes / transfer.size) * 100) : 0;
  const arrow = transfer.direction === 'upload' ? '↑' : '↓';
  const parts = [`${arrow} ${percent}%`, t('{0} of {1}', formatBytesFixed(transfer.bytes), formatBytesFixed(transfer.size))];
  if (transfer.bytes > 0) parts.push(formatRate(transfer.bytes / seconds));
  return parts.join(' · ');
}
