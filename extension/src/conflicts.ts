// Tells the person when both versions of a file were kept, and opens the two side by side.
//
// The engine moves the local edit to the conflicted copy and puts the server's version at the path,
// so the diff shows "yours" (the copy) on the left and the server's on the right.
import path from 'node:path';
import type { Host } from './host';

/** Beyond this many diffs a minute, conflicts are only logged and counted, so a burst never floods the editor. */
const MAX_DIFFS_PER_MINUTE = 3;

export interface ConflictInfo {
  path: string;
  conflictPath: string;
}

export class ConflictNotifier {
  private recent: number[] = [];

  constructor(
    private readonly host: Host,
    private readonly showLogCommand: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** `folder` resolves the engine's folder-relative paths. Resolves once the diff is open (or skipped). */
  async notify(folder: string, info: ConflictInfo): Promise<void> {
    const server = path.resolve(folder, info.path);
    const yours = path.resolve(folder, info.conflictPath);
    const at = this.now();
    this.recent = this.recent.filter((t) => at - t < 60_000);
    const message = `MyDropbox kept both versions of ${info.path}: it was changed here and on the server, so your version is saved as "${path.basename(yours)}".`;
    if (this.recent.length >= MAX_DIFFS_PER_MINUTE) {
      void this.host.window.showWarningMessage(`${message} More conflicts are listed in the log.`, {}, 'Show Log').then((choice) => {
        if (choice === 'Show Log') void this.host.commands.executeCommand(this.showLogCommand);
      });
      return;
    }
    this.recent.push(at);
    void this.host.window.showWarningMessage(message, {}, 'Show Log').then((choice) => {
      if (choice === 'Show Log') void this.host.commands.executeCommand(this.showLogCommand);
    });
    const title = `${path.basename(server)}: your version ↔ server's version`;
    await this.host.commands.executeCommand('vscode.diff', this.host.Uri.file(yours), this.host.Uri.file(server), title, {
      preview: false,
    });
  }
}
