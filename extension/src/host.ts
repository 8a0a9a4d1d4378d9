// The slice of the VS Code API the extension uses, so the glue can run against the real `vscode` module or a typed test double.
//
// Every member is taken from @types/vscode (by `Pick` or by restating one overload of an overloaded
// function or one constructor of a class), and extension.ts assigns the real module to `Host`: if VS
// Code's API and this slice ever disagree, the build fails, and so does the test double that
// implements the same interface.
import type * as vscode from 'vscode';

type Window = typeof vscode.window;

export interface HostWindow extends Pick<
  Window,
  | 'showInputBox'
  | 'withProgress'
  | 'registerUriHandler'
  | 'showOpenDialog'
  | 'showSaveDialog'
  | 'registerFileDecorationProvider'
  | 'createTreeView'
  | 'activeTextEditor'
  | 'onDidChangeActiveTextEditor'
> {
  createStatusBarItem(id: string, alignment?: vscode.StatusBarAlignment, priority?: number): vscode.StatusBarItem;
  createOutputChannel(name: string, options: { log: true }): vscode.LogOutputChannel;
  showQuickPick<T extends vscode.QuickPickItem>(
    items: readonly T[] | Thenable<readonly T[]>,
    options: vscode.QuickPickOptions & { canPickMany: true },
  ): Thenable<T[] | undefined>;
  showQuickPick<T extends vscode.QuickPickItem>(
    items: readonly T[] | Thenable<readonly T[]>,
    options?: vscode.QuickPickOptions,
  ): Thenable<T | undefined>;
  showInformationMessage<T extends string>(message: string, options: vscode.MessageOptions, ...items: T[]): Thenable<T | undefined>;
  showWarningMessage<T extends string>(message: string, options: vscode.MessageOptions, ...items: T[]): Thenable<T | undefined>;
  showErrorMessage<T extends string>(message: string, options: vscode.MessageOptions, ...items: T[]): Thenable<T | undefined>;
}

export interface HostWorkspace extends Pick<
  typeof vscode.workspace,
  | 'getConfiguration'
  | 'onDidChangeConfiguration'
  | 'onDidChangeWorkspaceFolders'
  | 'workspaceFolders'
  | 'registerFileSystemProvider'
  | 'isTrusted'
  | 'onDidGrantWorkspaceTrust'
> {
  fs: Pick<vscode.FileSystem, 'writeFile' | 'delete'>;
}

export interface Host {
  window: HostWindow;
  commands: Pick<typeof vscode.commands, 'registerCommand' | 'executeCommand'>;
  workspace: HostWorkspace;
  env: Pick<typeof vscode.env, 'openExternal' | 'appName' | 'clipboard'>;
  l10n: { t(message: string, ...args: (string | number | boolean)[]): string };
  Uri: Pick<typeof vscode.Uri, 'parse' | 'file' | 'from'>;
  StatusBarAlignment: Pick<typeof vscode.StatusBarAlignment, 'Left'>;
  ProgressLocation: Pick<typeof vscode.ProgressLocation, 'Notification' | 'Window'>;
  ConfigurationTarget: Pick<typeof vscode.ConfigurationTarget, 'Global'>;
  TreeItemCollapsibleState: Pick<typeof vscode.TreeItemCollapsibleState, 'None' | 'Collapsed' | 'Expanded'>;
  FileType: Pick<typeof vscode.FileType, 'File' | 'Directory'>;
  FileChangeType: Pick<typeof vscode.FileChangeType, 'Changed'>;
  FilePermission: Pick<typeof vscode.FilePermission, 'Readonly'>;
  ThemeColor: typeof vscode.ThemeColor;
  ThemeIcon: new (id: string, color?: vscode.ThemeColor) => vscode.ThemeIcon;
  TreeItem: new (label: string | vscode.TreeItemLabel, collapsibleState?: vscode.TreeItemCollapsibleState) => vscode.TreeItem;
  FileDecoration: new (badge?: string, tooltip?: string, color?: vscode.ThemeColor) => vscode.FileDecoration;
  MarkdownString: new (value?: string, supportThemeIcons?: boolean) => vscode.MarkdownString;
  EventEmitter: new <T>() => vscode.EventEmitter<T>;
  FileSystemError: Pick<typeof vscode.FileSystemError, 'FileNotFound' | 'NoPermissions' | 'Unavailable' | 'FileIsADirectory'>;
}

/** What the extension needs from its ExtensionContext. */
export type HostContext = Pick<vscode.ExtensionContext, 'subscriptions' | 'secrets' | 'globalStorageUri' | 'globalState'>;
