// The slice of the VS Code API the extension uses, so the glue can run against the real `vscode` module or a typed test double.
//
// Every member is taken from @types/vscode (by `Pick` or by restating one overload of an overloaded
// function), and extension.ts assigns the real module to `Host`: if VS Code's API and this slice ever
// disagree, the build fails, and so does the test double that implements the same interface.
import type * as vscode from 'vscode';

type Window = typeof vscode.window;

export interface HostWindow extends Pick<Window, 'showInputBox' | 'withProgress' | 'registerUriHandler' | 'showOpenDialog'> {
  createStatusBarItem(id: string, alignment?: vscode.StatusBarAlignment, priority?: number): vscode.StatusBarItem;
  createOutputChannel(name: string, options: { log: true }): vscode.LogOutputChannel;
  showQuickPick<T extends vscode.QuickPickItem>(items: readonly T[], options?: vscode.QuickPickOptions): Thenable<T | undefined>;
  showInformationMessage<T extends string>(message: string, options: vscode.MessageOptions, ...items: T[]): Thenable<T | undefined>;
  showWarningMessage<T extends string>(message: string, options: vscode.MessageOptions, ...items: T[]): Thenable<T | undefined>;
  showErrorMessage<T extends string>(message: string, options: vscode.MessageOptions, ...items: T[]): Thenable<T | undefined>;
}

export interface Host {
  window: HostWindow;
  commands: Pick<typeof vscode.commands, 'registerCommand' | 'executeCommand'>;
  workspace: Pick<
    typeof vscode.workspace,
    'getConfiguration' | 'onDidChangeConfiguration' | 'onDidChangeWorkspaceFolders' | 'workspaceFolders'
  >;
  env: Pick<typeof vscode.env, 'openExternal' | 'appName'>;
  Uri: Pick<typeof vscode.Uri, 'parse' | 'file'>;
  StatusBarAlignment: Pick<typeof vscode.StatusBarAlignment, 'Left'>;
  ProgressLocation: Pick<typeof vscode.ProgressLocation, 'Notification' | 'Window'>;
  ConfigurationTarget: Pick<typeof vscode.ConfigurationTarget, 'Global'>;
  ThemeColor: typeof vscode.ThemeColor;
}

/** What the extension needs from its ExtensionContext. */
export type HostContext = Pick<vscode.ExtensionContext, 'subscriptions' | 'secrets' | 'globalStorageUri'>;
