// Tells the person when both versions of a file were kept, and opens the two side by side.
//
// The engine moves the local edit to the conflicted copy and puts the server's version at the path,
// so the diff shows "yours" (the copy) on the left and the server's on the right.
import path from 'node:path';
import type * as vscode from 'vscode';
import { CONTEXT_KEYS, type ContextKeys } from './contextKeys';
import type { Host } from './host';
import { t } from './l10n';
import type { SyncController } from './syncController';

/** Beyond this many diffs a minute, conflicts are only logged and counted, so a burst never floods the editor. */
const MAX_DIFFS_PER_MINUTE = 3;

export interface ConflictInfo {
  path: string;
  conflictPath: string;
}

/** Your version (the conflicted copy) on the left, the server's (now at the path) on the right. */
export async function openConflictDiff(host: Host, yours: vscode.Uri, theirs: vscode.Uri): Promise<void> {
  const title = t("{0}: your version ↔ server's version", path.basename(theirs.fsPath));
  await host.commands.executeCommand('vscode.diff', yours, theirs, title, { preview: false });
}

export class ConflictNotifier {
  private recent: number[] = [];

  constructor(
    private readonly host: Host,
    private readonly showLogCommand: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** `folder` resolves the engine's folder-relative paths; `openDiff` false only tells. Resolves once the diff is open (or skipped). */
  async notify(folder: string, info: ConflictInfo, openDiff = true): Promise<void> {
    const server = path.resolve(folder, info.path);
    const yours = path.resolve(folder, info.conflictPath);
    const at = this.now();
    this.recent = this.recent.filter((time) => at - time < 60_000);
    const message = t(
      'MyDropbox kept both versions of {0}: it was changed here and on the server, so your version is saved as "{1}".',
      info.path,
      path.basename(yours),
    );
    const showLog = t('Show Log');
    if (!openDiff || this.recent.length >= MAX_DIFFS_PER_MINUTE) {
      const more = openDiff ? ` ${t('More conflicts are listed in the log.')}` : '';
      void this.host.window.showWarningMessage(`${message}${more}`, {}, showLog).then((choice) => {
        if (choice === showLog) void this.host.commands.executeCommand(this.showLogCommand);
      });
      return;
    }
    this.recent.push(at);
    void this.host.window.showWarningMessage(message, {}, showLog).then((choice) => {
      if (choice === showLog) void this.host.commands.executeCommand(this.showLogCommand);
    });
    await openConflictDiff(this.host, this.host.Uri.file(yours), this.host.Uri.file(server));
  }
}

/** Keeps the `hasConflicts` context key true while the folder holds a conflicted copy (the menus and the status menu offer to resolve it). */
export function trackConflicts(
  controller: Pick<SyncController, 'listen' | 'syncEngine'>,
  contextKeys: ContextKeys,
  isConflictedCopy: (p: string) => boolean,
): vscode.Disposable {
  const update = () => contextKeys.set(CONTEXT_KEYS.hasConflicts, (controller.syncEngine?.conflictedCopies().length ?? 0) > 0);
  return controller.listen({
    engineChanged: update,
    // A walk of the local tree: only when a conflicted copy's name went by, or after a whole pass.
    pathsChanged: (paths) => {
      if (paths === undefined || paths.some(isConflictedCopy)) update();
    },
  });
}
