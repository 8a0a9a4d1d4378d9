// The MyDropbox commands (palette, menus, views, status bar menu) and what each one does.
import fs from 'node:fs';
import type * as vscode from 'vscode';
import { ActivityView, type ActivityNode } from './activityView';
import { SECTION } from './config';
import { CONTEXT_KEYS, type ContextKeys } from './contextKeys';
import { FileCommands, targetPaths } from './fileCommands';
import type { TimelineItem, VersionHistory } from './history';
import type { Host } from './host';
import { t } from './l10n';
import type { RemoteFilesView } from './remoteFilesView';
import type { ShareLinks } from './shareLinks';
import type { ServerEntry } from './serverFiles';
import { promptSignIn } from './signIn';
import type { SyncController } from './syncController';
import { localUri } from './syncPaths';

/** Ids as contributed in package.json; a test checks the two lists match. */
export const COMMANDS = {
  signIn: 'mydropbox.signIn',
  signOut: 'mydropbox.signOut',
  pause: 'mydropbox.pauseSync',
  resume: 'mydropbox.resumeSync',
  syncNow: 'mydropbox.syncNow',
  openWebsite: 'mydropbox.openWebsite',
  showLog: 'mydropbox.showLog',
  chooseFolder: 'mydropbox.chooseFolder',
  showMenu: 'mydropbox.showMenu',
  getStarted: 'mydropbox.getStarted',
  refreshRemoteFiles: 'mydropbox.refreshRemoteFiles',
  downloadRemoteFile: 'mydropbox.downloadRemoteFile',
  revealLocalCopy: 'mydropbox.revealLocalCopy',
  cancelTransfer: 'mydropbox.cancelTransfer',
  retry: 'mydropbox.retry',
  retryAll: 'mydropbox.retryAll',
  clearActivity: 'mydropbox.clearActivity',
  addToIgnore: 'mydropbox.addToIgnore',
  openOnWebsite: 'mydropbox.openOnWebsite',
  compareWithServer: 'mydropbox.compareWithServer',
  compareConflict: 'mydropbox.compareConflict',
  keepMine: 'mydropbox.keepMine',
  keepTheirs: 'mydropbox.keepTheirs',
  resolveConflicts: 'mydropbox.resolveConflicts',
  showVersionHistory: 'mydropbox.showVersionHistory',
  restoreVersion: 'mydropbox.restoreVersion',
  restoreDeletedFiles: 'mydropbox.restoreDeletedFiles',
  copyShareLink: 'mydropbox.copyShareLink',
} as const;

/** The walkthrough contributed in package.json, as `workbench.action.openWalkthrough` names it. */
export const WALKTHROUGH_ID = 'mydropbox.mydropbox#mydropbox.gettingStarted';

export interface CommandDeps {
  host: Host;
  controller: SyncController;
  log: vscode.LogOutputChannel;
  contextKeys: ContextKeys;
  remoteFiles: RemoteFilesView;
  activity: ActivityView;
  history: VersionHistory;
  shareLinks: ShareLinks;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { host, controller, log, remoteFiles, activity, history, shareLinks } = deps;
  const files = new FileCommands(host, controller);
  const notSyncing = () => void host.window.showInformationMessage(notSyncingMessage(), {});
  const paths = (target: unknown, selection?: unknown) => targetPaths(host, controller, target, selection);
  const first = (target: unknown) => paths(target)[0];
  const notInFolder = () => void host.window.showInformationMessage(t('Choose a file in your MyDropbox folder first.'), {});
  /** A command about one file: the clicked one, or the active editor's from the palette. */
  const withPath = (fn: (rel: string) => Promise<unknown>) => async (target: unknown) => {
    const rel = first(target);
    if (rel === undefined) return notInFolder();
    await fn(rel);
  };
  const handlers: Record<string, (...args: unknown[]) => unknown> = {
    [COMMANDS.signIn]: () => promptSignIn(host, controller),
    [COMMANDS.signOut]: async () => {
      if (!controller.signedIn) {
        void host.window.showInformationMessage(t('MyDropbox: you are not signed in.'), {});
        return;
      }
      await controller.signOut();
      void host.window.showInformationMessage(t('MyDropbox: signed out; this device can no longer reach your files.'), {});
    },
    [COMMANDS.pause]: () => controller.pause() || notSyncing(),
    [COMMANDS.resume]: () => controller.resume() || notSyncing(),
    [COMMANDS.syncNow]: () =>
      host.window.withProgress({ location: host.ProgressLocation.Window, title: t('MyDropbox: syncing') }, async () => {
        try {
          if (!(await controller.syncNow())) notSyncing();
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          log.error(`Sync Now failed: ${message}`);
          const showLog = t('Show Log');
          void host.window.showErrorMessage(t('MyDropbox: sync failed. {0}', message), {}, showLog).then((c) => {
            if (c === showLog) log.show(true);
          });
        }
      }),
    [COMMANDS.openWebsite]: () => host.env.openExternal(host.Uri.parse(controller.serverUrl)),
    [COMMANDS.showLog]: () => log.show(true),
    [COMMANDS.chooseFolder]: () => chooseFolder(host, controller),
    [COMMANDS.showMenu]: () => showMenu(deps),
    [COMMANDS.getStarted]: () => host.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH_ID, false),
    [COMMANDS.refreshRemoteFiles]: () => remoteFiles.refresh(),
    [COMMANDS.downloadRemoteFile]: (entry) => remoteFiles.download(entry as ServerEntry),
    [COMMANDS.revealLocalCopy]: (entry) => remoteFiles.revealLocal(entry as ServerEntry),
    [COMMANDS.cancelTransfer]: (node) => {
      const p = ActivityView.pathOf(node as ActivityNode);
      if (p !== undefined) controller.syncEngine?.cancelTransfer(p);
    },
    [COMMANDS.retry]: (node) => {
      const p = ActivityView.pathOf(node as ActivityNode);
      if (p !== undefined) controller.syncEngine?.retry(p);
      activity.refresh();
    },
    [COMMANDS.retryAll]: () => {
      const engine = controller.syncEngine;
      for (const item of engine?.notSynced ?? []) engine?.retry(item.path);
      activity.refresh();
    },
    [COMMANDS.clearActivity]: () => activity.clearRecent(),
    [COMMANDS.addToIgnore]: (target, selection) => files.addToIgnore(paths(target, selection)),
    [COMMANDS.openOnWebsite]: (target) =>
      files.openOnWebsite(first(target), (target as Partial<ServerEntry> | undefined)?.kind === 'folder' || isFolderUri(target)),
    [COMMANDS.compareWithServer]: withPath((rel) => files.compareWithServer(rel)),
    [COMMANDS.compareConflict]: withPath((rel) => files.compareConflict(rel)),
    [COMMANDS.keepMine]: withPath((rel) => files.keepMine(rel)),
    [COMMANDS.keepTheirs]: withPath((rel) => files.keepTheirs(rel)),
    [COMMANDS.resolveConflicts]: () => resolveConflicts(host, controller, files),
    [COMMANDS.showVersionHistory]: withPath((rel) => history.showVersions(rel)),
    // From the Timeline: (the item this extension gave, the file's uri).
    [COMMANDS.restoreVersion]: async (item, target) => {
      const rel = first(target);
      const id = (item as TimelineItem | undefined)?.id;
      if (rel === undefined || id === undefined) return notInFolder();
      await history.restore(rel, id, (item as TimelineItem).timestamp);
    },
    [COMMANDS.copyShareLink]: withPath((rel) => shareLinks.copyLink(rel)),
    [COMMANDS.restoreDeletedFiles]: (target) => history.restoreDeleted(target === undefined ? '' : (first(target) ?? '')),
  };
  const isFolderUri = (target: unknown) => {
    const folder = controller.syncFolder;
    const rel = first(target);
    if (!folder || rel === undefined || !(target && typeof target === 'object' && 'scheme' in target)) return false;
    return fs.statSync(localUri(host, folder, rel).fsPath, { throwIfNoEntry: false })?.isDirectory() ?? false;
  };
  return Object.entries(handlers).map(([id, handler]) => host.commands.registerCommand(id, handler));
}

function notSyncingMessage(): string {
  return t('MyDropbox is not syncing: sign in and open a folder named myDropbox (or set "mydropbox.folder") first.');
}

async function chooseFolder(host: Host, controller: SyncController): Promise<void> {
  const picked = await host.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: t('Sync This Folder'),
  });
  const folder = picked?.[0];
  if (!folder) return;
  await host.workspace.getConfiguration(SECTION).update('folder', folder.fsPath, host.ConfigurationTarget.Global);
  await controller.refresh();
}

/** A quick pick of the conflicted copies; the chosen one opens beside the server's version. */
async function resolveConflicts(host: Host, controller: SyncController, files: FileCommands): Promise<void> {
  const copies = controller.syncEngine?.conflictedCopies() ?? [];
  if (copies.length === 0) {
    void host.window.showInformationMessage(t('MyDropbox: no conflicted copies in your folder.'), {});
    return;
  }
  const choice = await host.window.showQuickPick(
    copies.map((p) => ({ label: `$(warning) ${p.slice(p.lastIndexOf('/') + 1)}`, description: p, path: p })),
    { title: t('MyDropbox: Resolve Conflicts'), placeHolder: t('Choose a conflicted copy to compare with the server’s version') },
  );
  if (choice) await files.compareConflict(choice.path);
}

type MenuItem = vscode.QuickPickItem & { command: string };

/** The status bar item's menu: the actions that apply now, the most likely one first. */
export function menuItems(controller: SyncController, contextKeys: ContextKeys): MenuItem[] {
  const status = controller.status;
  const items: MenuItem[] = [];
  const add = (icon: string, label: string, command: string, description?: string) =>
    items.push({ label: `$(${icon}) ${label}`, command, ...(description ? { description } : {}) });
  const engine = controller.syncEngine;
  if (!controller.signedIn) {
    add('sign-in', t('Sign In'), COMMANDS.signIn);
    add('book', t('Get Started'), COMMANDS.getStarted);
  } else if (status.kind === 'restricted') {
    add('workspace-untrusted', t('Manage Workspace Trust'), 'workbench.trust.manage', t('MyDropbox syncs this folder once you trust it'));
  } else if (status.kind === 'noFolder') {
    add('folder', t('Choose Sync Folder…'), COMMANDS.chooseFolder);
  }
  if (engine) {
    if (status.kind === 'error' || status.kind === 'offline')
      add('output', t('Show Log'), COMMANDS.showLog, status.kind === 'error' ? status.message : status.reason);
    if (status.kind === 'paused') add('debug-start', t('Resume Sync'), COMMANDS.resume);
    add('sync', t('Sync Now'), COMMANDS.syncNow);
    if (status.kind !== 'paused') add('debug-pause', t('Pause Sync'), COMMANDS.pause);
    if (contextKeys.get(CONTEXT_KEYS.hasConflicts)) add('warning', t('Resolve Conflicts…'), COMMANDS.resolveConflicts);
    if (contextKeys.get(CONTEXT_KEYS.historyAvailable)) add('discard', t('Restore Deleted Files…'), COMMANDS.restoreDeletedFiles);
    const notSynced = engine.notSynced.length;
    if (notSynced > 0)
      add('refresh', t('Retry Items Not Synced'), COMMANDS.retryAll, notSynced === 1 ? t('1 item') : t('{0} items', notSynced));
    add('pulse', t('Show Activity'), 'mydropbox.activity.focus');
  }
  if (controller.signedIn) add('cloud', t('Browse Remote Files'), 'mydropbox.remoteFiles.focus');
  add('globe', t('Open Website'), COMMANDS.openWebsite, controller.serverUrl);
  if (!items.some((i) => i.command === COMMANDS.showLog)) add('output', t('Show Log'), COMMANDS.showLog);
  if (controller.signedIn) add('sign-out', t('Sign Out'), COMMANDS.signOut, controller.signedIn.username);
  return items;
}

async function showMenu({ host, controller, contextKeys }: CommandDeps): Promise<void> {
  const choice = await host.window.showQuickPick(menuItems(controller, contextKeys), {
    title: 'MyDropbox',
    placeHolder: controller.syncFolder ?? t('Choose an action'),
  });
  if (choice) await host.commands.executeCommand(choice.command);
}
