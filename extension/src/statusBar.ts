// The one status bar item: what the sync is doing, a tooltip with the details, and what a click does.
import type * as vscode from 'vscode';
import type { Host } from './host';
import type { SyncStatus } from './sync';
import { formatAgo, formatIn } from './format';
import { t } from './l10n';

export const STATUS_ITEM_ID = 'mydropbox.status';

/** The command the item runs on click: a quick pick of the actions that apply now (commands.ts). */
export interface StatusCommands {
  showMenu: string;
}

/** The engine's status plus what only the glue knows: signed in but no folder to sync yet, or the folder's workspace not trusted yet. */
export type ShownStatus = SyncStatus | { kind: 'noFolder' } | { kind: 'restricted' };

export interface StatusContext {
  serverUrl?: string;
  username?: string;
  folder?: string;
  /** Paths left out of sync (shown in the tooltip when there are any). */
  notSynced?: number;
}

export interface StatusView {
  text: string;
  tooltip: string;
  command: string;
  /** A theme color id for the background, used for states that need attention. */
  background?: 'statusBarItem.errorBackground' | 'statusBarItem.warningBackground';
}

export function describeStatus(
  status: ShownStatus,
  context: StatusContext,
  commands: StatusCommands,
  now: number = Date.now(),
): StatusView {
  const details = detailLines(context);
  const view = (text: string, ...tooltip: (string | string[] | undefined)[]): StatusView => ({
    text,
    tooltip: join(...tooltip),
    command: commands.showMenu,
  });
  switch (status.kind) {
    case 'upToDate': {
      const last = status.lastSyncAt === undefined ? t('Last sync: not yet') : t('Last sync: {0}', formatAgo(status.lastSyncAt, now));
      if (status.notSynced) {
        const items = status.notSynced === 1 ? t('1 item') : t('{0} items', status.notSynced);
        return {
          ...view(
            `$(warning) ${t('MyDropbox: {0} not synced', items)}`,
            t('MyDropbox: up to date, but {0} not synced (links, names the server cannot store, unreadable files)', items),
            details,
            last,
          ),
          background: 'statusBarItem.warningBackground',
        };
      }
      return view('$(check) MyDropbox', t('MyDropbox: up to date'), details, last);
    }
    case 'syncing': {
      const files = status.pending === 1 ? t('1 file') : t('{0} files', status.pending);
      const text = status.pending > 0 ? `$(sync~spin) ${t('Syncing {0}', files)}` : `$(sync~spin) ${t('Syncing')}`;
      return view(text, status.pending > 0 ? t('MyDropbox: syncing {0}', files) : t('MyDropbox: syncing'), details);
    }
    case 'paused':
      return view(
        `$(debug-pause) ${t('MyDropbox paused')}`,
        t('MyDropbox: sync is paused'),
        details,
        t('Click for actions, or run "MyDropbox: Resume Sync".'),
      );
    case 'offline': {
      const retry = status.retryAt === undefined ? undefined : t('Retrying {0}', formatIn(status.retryAt, now));
      return {
        ...view(
          `$(debug-disconnect) ${t('MyDropbox offline')}`,
          t('MyDropbox: offline ({0})', status.reason),
          details,
          retry,
          t('Changes are kept and sent when the server is back.'),
        ),
        background: 'statusBarItem.warningBackground',
      };
    }
    case 'signedOut':
      return view(`$(sign-in) ${t('MyDropbox: Sign In')}`, t('MyDropbox: signed out'), details, t('Click to sign in.'));
    case 'noFolder':
      return view(
        `$(folder) ${t('MyDropbox: Choose Folder')}`,
        t('MyDropbox: signed in, but no folder to sync'),
        details,
        t('Open a folder named myDropbox, set "mydropbox.folder", or click to choose one.'),
      );
    case 'restricted':
      return {
        ...view(
          `$(workspace-untrusted) ${t('MyDropbox: Restricted Mode')}`,
          t('MyDropbox: not syncing this folder until you trust it'),
          details,
          t('Click to manage workspace trust.'),
        ),
        background: 'statusBarItem.warningBackground',
      };
    case 'error':
      return {
        ...view(
          `$(error) ${status.stopped ? t('MyDropbox stopped') : t('MyDropbox error')}`,
          t('MyDropbox: {0}', status.message),
          details,
          t('Click for actions, or show the log.'),
        ),
        background: 'statusBarItem.errorBackground',
      };
  }
}

export class SyncStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor(
    private readonly host: Host,
    private readonly commands: StatusCommands,
  ) {
    this.item = host.window.createStatusBarItem(STATUS_ITEM_ID, host.StatusBarAlignment.Left, 100);
    this.item.name = 'MyDropbox';
  }

  show(status: ShownStatus, context: StatusContext): void {
    const view = describeStatus(status, context, this.commands);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = view.command;
    this.item.backgroundColor = view.background ? new this.host.ThemeColor(view.background) : undefined;
    this.item.accessibilityInformation = { label: view.tooltip.split('\n')[0] ?? 'MyDropbox' };
    this.item.show();
  }

  hide(): void {
    this.item.hide();
  }

  dispose(): void {
    this.item.dispose();
  }
}

function detailLines(context: StatusContext): string[] {
  const lines: string[] = [];
  if (context.username) lines.push(t('Signed in as: {0}', context.username));
  if (context.serverUrl) lines.push(t('Server: {0}', context.serverUrl));
  if (context.folder) lines.push(t('Folder: {0}', context.folder));
  if (context.notSynced) lines.push(context.notSynced === 1 ? t('1 item not synced') : t('{0} items not synced', context.notSynced));
  return lines;
}

function join(...parts: (string | string[] | undefined)[]): string {
  return parts
    .flat()
    .filter((p): p is string => p !== undefined && p !== '')
    .join('\n');
}
