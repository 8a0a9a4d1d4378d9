// The server's version history in the editor: a Timeline of a file's kept versions (each a diff against the file here, "Restore this version"), the same as a quick pick, and "Restore Deleted Files…".
//
// The Timeline API is still a proposal in VS Code 1.100 (`enabledApiProposals: ["timeline"]`): it works
// where the editor allows it (code-server or VS Code started with `--enable-proposed-api
// mydropbox.mydropbox`) and is skipped elsewhere, where **Show Version History** offers the same
// versions in a quick pick (docs/decisions/0004-timeline-proposal-with-a-quick-pick-beside-it.md).
import { baseName, MyDropboxError, parentPath, type DeletedEntry, type VersionEntry } from '@mydropbox/shared';
import type * as vscode from 'vscode';
import { CONTEXT_KEYS, type ContextKeys } from './contextKeys';
import { formatAgo, formatBytesFixed, formatDate } from './format';
import type { Host } from './host';
import { t } from './l10n';
import type { ServerFileSystem } from './serverFiles';
import type { RemoteClient, SyncEngine } from './sync';
import type { SyncController } from './syncController';
import { localUri, relativePath, serverUri } from './syncPaths';

/** The proposed Timeline API's shapes (vscode.proposed.timeline.d.ts), declared here because @types/vscode has only the stable API. */
export interface TimelineItem {
  timestamp: number;
  label: string;
  id?: string;
  iconPath?: vscode.ThemeIcon;
  description?: string;
  tooltip?: string | vscode.MarkdownString;
  command?: vscode.Command;
  contextValue?: string;
  accessibilityInformation?: vscode.AccessibilityInformation;
}
export interface Timeline {
  readonly items: readonly TimelineItem[];
}
export interface TimelineProvider {
  onDidChange?: vscode.Event<{ uri: vscode.Uri; reset?: boolean } | undefined>;
  readonly id: string;
  readonly label: string;
  provideTimeline(uri: vscode.Uri, options: unknown, token: vscode.CancellationToken): Promise<Timeline>;
}
type RegisterTimelineProvider = (scheme: string | string[], provider: TimelineProvider) => vscode.Disposable;

export const TIMELINE_SOURCE = 'mydropbox.history';
export const TIMELINE_SCHEMES = ['file', 'vscode-remote'];
/** Timeline items' contextValue, read by the `timeline/item/context` menu. */
export const VERSION_ITEM = 'mydropbox:version';
/** The most recent deletions offered by Restore Deleted Files… (pages of DELETED_PAGE). */
const DELETED_SHOWN = 1000;
const DELETED_PAGE = 200;

const REASON_WORDS: Record<VersionEntry['reason'], () => string> = {
  edit: () => t('replaced by an edit'),
  delete: () => t('deleted'),
  move: () => t('moved away'),
  restore: () => t('replaced by a restore'),
};

/**
 * Registers the Timeline provider where the editor allows the proposal; undefined where it does not
 * (calling the API then throws "CANNOT use API proposal: timeline").
 */
export function registerTimeline(workspace: object, provider: TimelineProvider): vscode.Disposable | undefined {
  const register = (workspace as { registerTimelineProvider?: RegisterTimelineProvider }).registerTimelineProvider;
  if (typeof register !== 'function') return undefined;
  try {
    // The workbench asks by its own URI's scheme: a remote window (code-server, SSH, containers) sees
    // the folder's files as vscode-remote:, which the extension host receives back as file: URIs.
    return register.call(workspace, TIMELINE_SCHEMES, provider);
  } catch {
    return undefined;
  }
}

export class VersionHistory implements TimelineProvider, vscode.Disposable {
  readonly id = TIMELINE_SOURCE;
  readonly label = 'MyDropbox';
  private readonly changes: vscode.EventEmitter<{ uri: vscode.Uri; reset?: boolean } | undefined>;
  readonly onDidChange: vscode.Event<{ uri: vscode.Uri; reset?: boolean } | undefined>;
  private readonly subscription: vscode.Disposable;
  private probed: SyncEngine | RemoteClient | undefined;

  constructor(
    private readonly host: Host,
    private readonly controller: SyncController,
    private readonly contextKeys: ContextKeys,
    private readonly serverFiles: ServerFileSystem,
  ) {
    this.changes = new host.EventEmitter<{ uri: vscode.Uri; reset?: boolean } | undefined>();
    this.onDidChange = this.changes.event;
    this.subscription = controller.listen({
      engineChanged: () => void this.probe(),
      status: (s) => {
        if (s.kind === 'signedOut') this.setAvailable(false);
        else void this.probe();
      },
      // A new version of a file the Timeline shows: ask for its history again.
      pathsChanged: (paths) => {
        const folder = this.controller.syncFolder;
        if (!folder || !this.available) return;
        if (paths === undefined) this.changes.fire(undefined);
        else for (const p of paths.slice(0, 50)) this.changes.fire({ uri: localUri(this.host, folder, p), reset: true });
      },
    });
  }

  get available(): boolean {
    return this.contextKeys.get(CONTEXT_KEYS.historyAvailable);
  }

  /** Asks the server once per engine (or signed-in client) whether it keeps history: GET /v1/deleted answers 404 where it does not. */
  async probe(): Promise<boolean> {
    const remote = this.controller.remote();
    if (!remote) {
      this.setAvailable(false);
      return false;
    }
    const key = this.controller.syncEngine ?? remote;
    if (this.probed === key) return this.available;
    this.probed = key;
    try {
      await remote.deleted({ limit: 1 });
      this.setAvailable(true);
    } catch (err) {
      // Only "no such endpoint" means no history; any other trouble (offline) leaves the commands where they were.
      if (MyDropboxError.is(err, 'not_found')) this.setAvailable(false);
      else this.probed = undefined;
    }
    return this.available;
  }

  async provideTimeline(uri: vscode.Uri): Promise<Timeline> {
    const rel = this.pathOf(uri);
    const remote = this.controller.remote();
    if (rel === undefined || !remote || !this.available) return { items: [] };
    let history;
    try {
      history = await remote.versions(rel);
    } catch (err) {
      if (MyDropboxError.is(err, 'not_found')) return { items: [] }; // never on the server (yet)
      throw err;
    }
    return { items: history.versions.map((v) => this.timelineItem(v, uri)) };
  }

  /** The quick pick of versions (where the Timeline is not available, and from menus): then compare, open or restore. */
  async showVersions(rel: string): Promise<void> {
    const remote = this.requireRemote();
    if (!remote) return;
    let history;
    try {
      history = await remote.versions(rel);
    } catch (err) {
      if (!MyDropboxError.is(err, 'not_found')) throw err;
      void this.host.window.showInformationMessage(t('{0} has no history on the server yet.', rel), {});
      return;
    }
    if (history.versions.length === 0) {
      void this.host.window.showInformationMessage(t('The server keeps no earlier version of {0}.', rel), {});
      return;
    }
    const now = Date.now();
    const version = await this.host.window.showQuickPick(
      history.versions.map((v) => ({
        label: `$(history) ${formatDate(v.modifiedAt)}`,
        description: [formatBytesFixed(v.size), v.device ?? undefined].filter(Boolean).join(' · '),
        detail: t('{0} {1}', REASON_WORDS[v.reason](), formatAgo(v.replacedAt, now)),
        version: v,
      })),
      {
        title: t('Version history of {0}', baseName(rel)),
        placeHolder: history.current
          ? t('Now: {0}, {1}. Choose an earlier version.', formatDate(history.current.modifiedAt), formatBytesFixed(history.current.size))
          : t('Deleted now. Choose a version to bring back.'),
        matchOnDescription: true,
      },
    );
    if (!version) return;
    const compare = t('Compare with This Computer');
    const open = t('Open This Version');
    const restore = t('Restore This Version');
    const action = await this.host.window.showQuickPick(
      [{ label: `$(diff) ${compare}` }, { label: `$(go-to-file) ${open}` }, { label: `$(discard) ${restore}` }],
      { title: t('{0}, version of {1}', baseName(rel), formatDate(version.version.modifiedAt)) },
    );
    if (!action) return;
    if (action.label.endsWith(compare)) await this.compare(rel, version.version);
    else if (action.label.endsWith(open))
      await this.host.commands.executeCommand('vscode.open', serverUri(this.host, rel, version.version.id), { preview: true });
    else await this.restore(rel, version.version.id, version.version.modifiedAt);
  }

  /** The kept version on the left, the file here (or the server's current copy when there is none here) on the right. */
  async compare(rel: string, version: Pick<VersionEntry, 'id' | 'modifiedAt'>): Promise<void> {
    const folder = this.controller.syncFolder;
    const right = folder && this.controller.syncEngine ? localUri(this.host, folder, rel) : serverUri(this.host, rel);
    const title = t('{0} ({1}) ↔ now', baseName(rel), formatDate(version.modifiedAt));
    await this.host.commands.executeCommand('vscode.diff', serverUri(this.host, rel, version.id), right, title);
  }

  /** A restore is a new commit on the server: the version it replaces is kept, and every device follows through the change feed. */
  async restore(rel: string, versionId: string, modifiedAt?: number): Promise<boolean> {
    const remote = this.requireRemote();
    if (!remote) return false;
    const result = await this.host.window.withProgress(
      { location: this.host.ProgressLocation.Notification, title: t('MyDropbox: restoring {0}…', rel) },
      () => remote.restore({ path: rel, versionId }),
    );
    const when = modifiedAt !== undefined ? formatDate(modifiedAt) : undefined;
    void this.host.window.showInformationMessage(
      result.restoredTo === rel
        ? when
          ? t('MyDropbox: {0} is back to the version of {1}. The version it replaced is kept in its history.', rel, when)
          : t('MyDropbox: {0} is restored. The version it replaced is kept in its history.', rel)
        : t('MyDropbox: {0} was taken, so the version is restored beside it as {1}.', rel, result.restoredTo),
      {},
    );
    this.changes.fire(undefined);
    await this.controller.syncEngine?.syncNow().catch(() => undefined); // fetch it now rather than at the next feed poll
    return true;
  }

  /** A quick pick of what was deleted (under `under`, '' = everywhere), newest first; the chosen ones come back. */
  async restoreDeleted(under = ''): Promise<number> {
    const remote = this.requireRemote();
    if (!remote) return 0;
    const deleted: DeletedEntry[] = [];
    let before: string | undefined;
    do {
      const page = await remote.deleted({ under, limit: DELETED_PAGE, ...(before !== undefined ? { before } : {}) });
      deleted.push(...page.deleted);
      before = page.next;
    } while (before !== undefined && deleted.length < DELETED_SHOWN);
    if (deleted.length === 0) {
      void this.host.window.showInformationMessage(
        under ? t('MyDropbox: nothing deleted in {0} can be restored.', under) : t('MyDropbox: nothing deleted can be restored.'),
        {},
      );
      return 0;
    }
    const now = Date.now();
    const picked = await this.host.window.showQuickPick(
      deleted.map((d) => ({
        label: `$(file) ${baseName(d.path)}`,
        description: parentPath(d.path),
        detail: [t('deleted {0}', formatAgo(d.deletedAt, now)), d.device ? t('on {0}', d.device) : undefined, formatBytesFixed(d.size)]
          .filter(Boolean)
          .join(' · '),
        entry: d,
      })),
      {
        canPickMany: true,
        matchOnDescription: true,
        title: under ? t('MyDropbox: Restore Deleted Files in {0}', under) : t('MyDropbox: Restore Deleted Files'),
        placeHolder:
          before !== undefined
            ? t('The {0} most recent deletions; choose the files to bring back', deleted.length)
            : t('Choose the files to bring back'),
      },
    );
    if (!picked?.length) return 0;
    const moved: string[] = [];
    await this.host.window.withProgress(
      { location: this.host.ProgressLocation.Notification, title: t('MyDropbox: restoring {0} files', picked.length) },
      async (progress) => {
        for (const [i, item] of picked.entries()) {
          const result = await remote.restore({ path: item.entry.path, versionId: item.entry.versionId });
          if (result.restoredTo !== item.entry.path) moved.push(t('{0} as {1}', item.entry.path, result.restoredTo));
          progress.report({ increment: 100 / picked.length, message: t('{0} of {1}', i + 1, picked.length) });
        }
      },
    );
    void this.host.window.showInformationMessage(
      picked.length === 1 ? t('MyDropbox: 1 file restored.') : t('MyDropbox: {0} files restored.', picked.length),
      moved.length ? { detail: t('Restored beside a file that took the name: {0}', moved.join(', ')) } : {},
    );
    await this.controller.syncEngine?.syncNow().catch(() => undefined);
    return picked.length;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changes.dispose();
  }

  private timelineItem(v: VersionEntry, uri: vscode.Uri): TimelineItem {
    const rel = this.pathOf(uri)!;
    const tooltip = new this.host.MarkdownString();
    tooltip.appendMarkdown(`**${t('Version of {0}', formatDate(v.modifiedAt))}**\n\n`);
    tooltip.appendText(`${formatBytesFixed(v.size)}${v.device ? ` · ${t('written on {0}', v.device)}` : ''}\n\n`);
    tooltip.appendText(t('{0} {1}', REASON_WORDS[v.reason](), formatDate(v.replacedAt)));
    return {
      id: v.id,
      timestamp: v.modifiedAt,
      label: v.device ? t('Saved on {0}', v.device) : t('Earlier version'),
      description: formatBytesFixed(v.size),
      iconPath: new this.host.ThemeIcon('cloud'),
      tooltip,
      contextValue: VERSION_ITEM,
      command: {
        title: t('Compare with This Computer'),
        command: 'vscode.diff',
        arguments: [serverUri(this.host, rel, v.id), uri, t('{0} ({1}) ↔ now', baseName(rel), formatDate(v.modifiedAt))],
      },
      accessibilityInformation: { label: t('Version of {0}, {1}', formatDate(v.modifiedAt), formatBytesFixed(v.size)) },
    };
  }

  private setAvailable(available: boolean): void {
    if (this.available === available) return;
    this.contextKeys.set(CONTEXT_KEYS.historyAvailable, available);
    this.serverFiles.versionReader = available ? (remote, id) => remote.versionContent(id) : undefined;
    this.changes.fire(undefined);
  }

  private pathOf(uri: vscode.Uri): string | undefined {
    const folder = this.controller.syncFolder;
    return folder ? relativePath(folder, uri) : undefined;
  }

  private requireRemote(): RemoteClient | undefined {
    const remote = this.controller.remote();
    if (!remote) void this.host.window.showInformationMessage(t('Sign in to MyDropbox first.'), {});
    return remote;
  }
}
