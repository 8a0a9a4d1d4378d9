// The one status bar item: what the sync is doing, a tooltip with the details, and what a click does.
import type * as vscode from 'vscode';
import type { Host } from './host';
import type { SyncStatus } from './sync';

export const STATUS_ITEM_ID = 'mydropbox.status';

/** Command ids the item can run on click (declared in commands.ts, repeated here to keep this module free of it). */
export interface StatusCommands {
  signIn: string;
  showLog: string;
  showMenu: string;
  chooseFolder: string;
}

/** The engine's status plus the one state only the glue knows: signed in, but no folder to sync yet. */
export type ShownStatus = SyncStatus | { kind: 'noFolder' };

export interface StatusContext {
  serverUrl?: string;
  username?: string;
  folder?: string;
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
  switch (status.kind) {
    case 'upToDate': {
      const last = status.lastSyncAt === undefined ? 'Last sync: not yet' : `Last sync: ${formatAgo(status.lastSyncAt, now)}`;
      return { text: '$(check) MyDropbox', tooltip: join('MyDropbox: up to date', details, last), command: commands.showMenu };
    }
    case 'syncing': {
      const files = status.pending === 1 ? '1 file' : `${status.pending} files`;
      const text = status.pending > 0 ? `$(sync~spin) Syncing ${files}` : '$(sync~spin) Syncing';
      return { text, tooltip: join(`MyDropbox: syncing${status.pending > 0 ? ` ${files}` : ''}`, details), command: commands.showMenu };
    }
    case 'paused':
      return {
        text: '$(debug-pause) MyDropbox paused',
        tooltip: join('MyDropbox: sync is paused', details, 'Click for actions, or run "MyDropbox: Resume Sync".'),
        command: commands.showMenu,
      };
    case 'offline': {
      const retry = status.retryAt === undefined ? undefined : `Retrying ${formatIn(status.retryAt, now)}`;
      return {
        text: '$(debug-disconnect) MyDropbox offline',
        tooltip: join(
          `MyDropbox: offline (${status.reason})`,
          details,
          retry,
          'Changes are kept and sent when the server is back. Click to show the log.',
        ),
        command: commands.showLog,
        background: 'statusBarItem.warningBackground',
      };
    }
    case 'signedOut':
      return {
        text: '$(sign-in) MyDropbox: Sign In',
        tooltip: join('MyDropbox: signed out', details, 'Click to sign in.'),
        command: commands.signIn,
      };
    case 'noFolder':
      return {
        text: '$(folder) MyDropbox: Choose Folder',
        tooltip: join(
          'MyDropbox: signed in, but no folder to sync',
          details,
          'Open a folder named myDropbox, set "mydropbox.folder", or click to choose one.',
        ),
        command: commands.chooseFolder,
      };
    case 'error':
      return {
        text: '$(error) MyDropbox error',
        tooltip: join(`MyDropbox: ${status.message}`, details, 'Click to show the log.'),
        command: commands.showLog,
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
  if (context.username) lines.push(`Signed in as: ${context.username}`);
  if (context.serverUrl) lines.push(`Server: ${context.serverUrl}`);
  if (context.folder) lines.push(`Folder: ${context.folder}`);
  return lines;
}

function join(...parts: (string | string[] | undefined)[]): string {
  return parts
    .flat()
    .filter((p): p is string => p !== undefined && p !== '')
    .join('\n');
}

function formatAgo(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return new Date(at).toLocaleString();
}

function formatIn(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((at - now) / 1000));
  return seconds <= 1 ? 'now' : `in ${seconds} s`;
}
