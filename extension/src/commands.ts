// The MyDropbox commands (palette, status bar menu) and what each one does.
import type * as vscode from 'vscode';
import { SECTION } from './config';
import type { Host } from './host';
import { promptSignIn } from './signIn';
import type { SyncController } from './syncController';

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
} as const;

const NOT_SYNCING = 'MyDropbox is not syncing: sign in and open a folder named myDropbox (or set "mydropbox.folder") first.';

export function registerCommands(host: Host, controller: SyncController, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const notSyncing = () => void host.window.showInformationMessage(NOT_SYNCING, {});
  const handlers: Record<string, () => unknown> = {
    [COMMANDS.signIn]: () => promptSignIn(host, controller),
    [COMMANDS.signOut]: async () => {
      if (!controller.signedIn) {
        void host.window.showInformationMessage('MyDropbox: you are not signed in.', {});
        return;
      }
      await controller.signOut();
      void host.window.showInformationMessage('MyDropbox: signed out; this device can no longer reach your files.', {});
    },
    [COMMANDS.pause]: () => controller.pause() || notSyncing(),
    [COMMANDS.resume]: () => controller.resume() || notSyncing(),
    [COMMANDS.syncNow]: () =>
      host.window.withProgress({ location: host.ProgressLocation.Window, title: 'MyDropbox: syncing' }, async () => {
        try {
          if (!(await controller.syncNow())) notSyncing();
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          log.error(`Sync Now failed: ${message}`);
          void host.window.showErrorMessage(`MyDropbox: sync failed. ${message}`, {}, 'Show Log').then((c) => {
            if (c === 'Show Log') log.show(true);
          });
        }
      }),
    [COMMANDS.openWebsite]: () => host.env.openExternal(host.Uri.parse(controller.serverUrl)),
    [COMMANDS.showLog]: () => log.show(true),
    [COMMANDS.chooseFolder]: () => chooseFolder(host, controller),
    [COMMANDS.showMenu]: () => showMenu(host, controller),
  };
  return Object.entries(handlers).map(([id, handler]) => host.commands.registerCommand(id, handler));
}

async function chooseFolder(host: Host, controller: SyncController): Promise<void> {
  const picked = await host.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Sync This Folder',
  });
  const folder = picked?.[0];
  if (!folder) return;
  await host.workspace.getConfiguration(SECTION).update('folder', folder.fsPath, host.ConfigurationTarget.Global);
  await controller.refresh();
}

async function showMenu(host: Host, controller: SyncController): Promise<void> {
  const status = controller.status;
  const items: (vscode.QuickPickItem & { command: string })[] = [];
  if (!controller.signedIn) items.push({ label: '$(sign-in) Sign In', command: COMMANDS.signIn });
  if (controller.signedIn && status.kind !== 'noFolder') {
    items.push({ label: '$(sync) Sync Now', command: COMMANDS.syncNow });
    if (status.kind === 'paused') items.push({ label: '$(debug-start) Resume Sync', command: COMMANDS.resume });
    else items.push({ label: '$(debug-pause) Pause Sync', command: COMMANDS.pause });
  }
  if (status.kind === 'noFolder') items.push({ label: '$(folder) Choose Sync Folder…', command: COMMANDS.chooseFolder });
  items.push({ label: '$(globe) Open Website', description: controller.serverUrl, command: COMMANDS.openWebsite });
  items.push({ label: '$(output) Show Log', command: COMMANDS.showLog });
  if (controller.signedIn)
    items.push({ label: '$(sign-out) Sign Out', description: controller.signedIn.username, command: COMMANDS.signOut });
  const choice = await host.window.showQuickPick(items, { title: 'MyDropbox', placeHolder: controller.syncFolder ?? 'Choose an action' });
  if (choice) await host.commands.executeCommand(choice.command);
}
