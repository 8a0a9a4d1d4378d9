// A typed stand-in for the slice of the VS Code API the glue uses (Host), recording what the extension shows and asks.
//
// It implements the same `Host` interface that the real `vscode` module is checked against in
// extension.ts, with types from @types/vscode, so a change on either side breaks the build, not the tests.
import fs from 'node:fs';
import path from 'node:path';
import type * as vscode from 'vscode';
import type { Host, HostContext } from '../../src/host';

export class UriDouble implements vscode.Uri {
  constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}

  static parse(value: string): UriDouble {
    const url = new URL(value);
    return new UriDouble(
      url.protocol.replace(/:$/, ''),
      url.host,
      decodeURIComponent(url.pathname),
      url.search.replace(/^\?/, ''),
      url.hash.replace(/^#/, ''),
    );
  }

  static file(fsPath: string): UriDouble {
    return new UriDouble('file', '', path.resolve(fsPath), '', '');
  }

  static from(components: { scheme: string; authority?: string; path?: string; query?: string; fragment?: string }): UriDouble {
    return new UriDouble(
      components.scheme,
      components.authority ?? '',
      components.path ?? '',
      components.query ?? '',
      components.fragment ?? '',
    );
  }

  get fsPath(): string {
    return this.path;
  }

  with(change: { scheme?: string; authority?: string; path?: string; query?: string; fragment?: string }): UriDouble {
    return new UriDouble(
      change.scheme ?? this.scheme,
      change.authority ?? this.authority,
      change.path ?? this.path,
      change.query ?? this.query,
      change.fragment ?? this.fragment,
    );
  }

  toString(): string {
    return `${this.scheme}://${this.authority}${this.path}${this.query ? `?${this.query}` : ''}${this.fragment ? `#${this.fragment}` : ''}`;
  }

  toJSON(): unknown {
    return { scheme: this.scheme, authority: this.authority, path: this.path, query: this.query, fragment: this.fragment };
  }
}

export class EventEmitterDouble<T> implements vscode.EventEmitter<T> {
  private readonly listeners = new Set<(e: T) => unknown>();
  /** Every event fired, in order. */
  readonly fired: T[] = [];

  readonly event: vscode.Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(e: T): void {
    this.fired.push(e);
    for (const listener of [...this.listeners]) listener(e);
  }

  dispose(): void {
    this.listeners.clear();
  }
}

class ThemeIconDouble implements vscode.ThemeIcon {
  static readonly File = new ThemeIconDouble('file');
  static readonly Folder = new ThemeIconDouble('folder');
  constructor(
    readonly id: string,
    readonly color?: vscode.ThemeColor,
  ) {}
}

class ThemeColorDouble implements vscode.ThemeColor {
  constructor(readonly id: string) {}
}

class TreeItemDouble implements vscode.TreeItem {
  id?: string;
  iconPath?: vscode.TreeItem['iconPath'];
  description?: string | boolean;
  resourceUri?: vscode.Uri;
  tooltip?: string | vscode.MarkdownString;
  command?: vscode.Command;
  contextValue?: string;
  accessibilityInformation?: vscode.AccessibilityInformation;
  checkboxState?: vscode.TreeItem['checkboxState'];
  constructor(
    public label?: string | vscode.TreeItemLabel,
    public collapsibleState?: vscode.TreeItemCollapsibleState,
  ) {}
}

class FileDecorationDouble implements vscode.FileDecoration {
  propagate?: boolean;
  constructor(
    public badge?: string,
    public tooltip?: string,
    public color?: vscode.ThemeColor,
  ) {}
}

class MarkdownStringDouble implements vscode.MarkdownString {
  isTrusted?: boolean;
  supportHtml?: boolean;
  baseUri?: vscode.Uri;
  constructor(
    public value = '',
    public supportThemeIcons = false,
  ) {}
  appendText(value: string): this {
    this.value += value.replace(/[\\`*_{}[\]()#+\-.!]/g, '\\$&');
    return this;
  }
  appendMarkdown(value: string): this {
    this.value += value;
    return this;
  }
  appendCodeblock(value: string, language = ''): this {
    this.value += `\n\`\`\`${language}\n${value}\n\`\`\`\n`;
    return this;
  }
}

class FileSystemErrorDouble extends Error implements vscode.FileSystemError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = `FileSystemError (${code})`;
  }
  private static make(code: string, messageOrUri?: string | vscode.Uri): FileSystemErrorDouble {
    return new FileSystemErrorDouble(code, typeof messageOrUri === 'string' ? messageOrUri : `${code}: ${messageOrUri?.toString() ?? ''}`);
  }
  static FileNotFound = (m?: string | vscode.Uri) => FileSystemErrorDouble.make('FileNotFound', m);
  static NoPermissions = (m?: string | vscode.Uri) => FileSystemErrorDouble.make('NoPermissions', m);
  static Unavailable = (m?: string | vscode.Uri) => FileSystemErrorDouble.make('Unavailable', m);
  static FileIsADirectory = (m?: string | vscode.Uri) => FileSystemErrorDouble.make('FileIsADirectory', m);
}

/** A tree view as VS Code holds one: the provider, and what the view shows besides its rows. */
export class TreeViewDouble<T> implements vscode.TreeView<T> {
  readonly onDidExpandElement = new EventEmitterDouble<vscode.TreeViewExpansionEvent<T>>().event;
  readonly onDidCollapseElement = new EventEmitterDouble<vscode.TreeViewExpansionEvent<T>>().event;
  readonly selection: readonly T[] = [];
  readonly onDidChangeSelection = new EventEmitterDouble<vscode.TreeViewSelectionChangeEvent<T>>().event;
  readonly visibility = new EventEmitterDouble<vscode.TreeViewVisibilityChangeEvent>();
  readonly onDidChangeVisibility = this.visibility.event;
  readonly onDidChangeCheckboxState = new EventEmitterDouble<vscode.TreeCheckboxChangeEvent<T>>().event;
  message?: string;
  title?: string;
  description?: string;
  badge?: vscode.ViewBadge;
  visible = true;
  disposed = false;

  constructor(
    readonly id: string,
    readonly provider: vscode.TreeDataProvider<T>,
  ) {}

  async reveal(): Promise<void> {}

  dispose(): void {
    this.disposed = true;
  }

  /** The rows as shown with every Expanded item open and Collapsed ones closed unless `open` says so: [item, children]. */
  async rows(open: (item: vscode.TreeItem) => boolean = () => false): Promise<RenderedRow<T>[]> {
    const walk = async (parent: T | undefined): Promise<RenderedRow<T>[]> => {
      const children = (await this.provider.getChildren(parent)) ?? [];
      const rows: RenderedRow<T>[] = [];
      for (const element of children) {
        const item = await this.provider.getTreeItem(element);
        const expanded = item.collapsibleState === 2 || (item.collapsibleState === 1 && open(item));
        rows.push({ element, item, children: expanded ? await walk(element) : [] });
      }
      return rows;
    };
    return walk(undefined);
  }
}

export interface RenderedRow<T> {
  element: T;
  item: vscode.TreeItem;
  children: RenderedRow<T>[];
}

/** A row's label as text. */
export function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

class MementoDouble implements vscode.Memento {
  readonly values = new Map<string, unknown>();
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
  get<T>(key: string, defaultValue?: T): T | undefined {
    return this.values.has(key) ? (this.values.get(key) as T) : defaultValue;
  }
  async update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, value);
  }
  setKeysForSync(): void {}
}

/** VS Code's l10n.t without a translation: fills {0}-style placeholders. */
function fillPlaceholders(message: string, ...args: (string | number | boolean)[]): string {
  return message.replace(/\{(\d+)\}/g, (whole, i: string) => (args[Number(i)] === undefined ? whole : String(args[Number(i)])));
}

class StatusBarItemDouble implements vscode.StatusBarItem {
  name: string | undefined;
  /** Every text the item showed, in order, so short-lived states can be asserted. */
  readonly textHistory: string[] = [];
  private currentText = '';
  tooltip: string | vscode.MarkdownString | undefined;
  color: string | vscode.ThemeColor | undefined;
  backgroundColor: vscode.ThemeColor | undefined;
  command: string | vscode.Command | undefined;
  accessibilityInformation: vscode.AccessibilityInformation | undefined;
  visible = false;
  disposed = false;

  constructor(
    readonly id: string,
    readonly alignment: vscode.StatusBarAlignment,
    readonly priority: number | undefined,
  ) {}

  get text(): string {
    return this.currentText;
  }

  set text(value: string) {
    if (value !== this.currentText) this.textHistory.push(value);
    this.currentText = value;
  }

  show(): void {
    this.visible = true;
  }

  hide(): void {
    this.visible = false;
  }

  dispose(): void {
    this.disposed = true;
    this.visible = false;
  }
}

class LogChannelDouble implements vscode.LogOutputChannel {
  readonly lines: string[] = [];
  readonly logLevel = 2 as vscode.LogLevel; // Info
  readonly onDidChangeLogLevel = new EventEmitterDouble<vscode.LogLevel>().event;
  shown = 0;

  constructor(readonly name: string) {}

  append(value: string): void {
    this.lines.push(value);
  }
  appendLine(value: string): void {
    this.lines.push(value);
  }
  replace(value: string): void {
    this.lines.splice(0, this.lines.length, value);
  }
  clear(): void {
    this.lines.length = 0;
  }
  show(): void {
    this.shown++;
  }
  hide(): void {}
  dispose(): void {}
  trace(message: string): void {
    this.lines.push(`[trace] ${message}`);
  }
  debug(message: string): void {
    this.lines.push(`[debug] ${message}`);
  }
  info(message: string): void {
    this.lines.push(`[info] ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`[warn] ${message}`);
  }
  error(error: string | Error): void {
    this.lines.push(`[error] ${String(error)}`);
  }
}

class SecretStorageDouble implements vscode.SecretStorage {
  readonly values = new Map<string, string>();
  private readonly changes = new EventEmitterDouble<vscode.SecretStorageChangeEvent>();
  readonly onDidChange = this.changes.event;

  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    this.changes.fire({ key });
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
    this.changes.fire({ key });
  }
}

/** Settings as a flat map of full keys ("mydropbox.serverUrl"), with the writes recorded. */
class ConfigurationStore {
  readonly values = new Map<string, unknown>();
  readonly writes: { key: string; value: unknown; target: unknown }[] = [];
  readonly changed = new EventEmitterDouble<vscode.ConfigurationChangeEvent>();

  section(prefix: string | undefined): vscode.WorkspaceConfiguration {
    const full = (key: string) => (prefix ? `${prefix}.${key}` : key);
    const values = this.values;
    const writes = this.writes;
    const changed = this.changed;
    const configuration = {
      get<T>(key: string, defaultValue?: T): T | undefined {
        return values.has(full(key)) ? (values.get(full(key)) as T) : defaultValue;
      },
      has: (key: string) => values.has(full(key)),
      inspect: () => undefined,
      async update(key: string, value: unknown, target?: unknown) {
        writes.push({ key: full(key), value, target });
        if (value === undefined) values.delete(full(key));
        else values.set(full(key), value);
        changed.fire({ affectsConfiguration: (s: string) => full(key) === s || full(key).startsWith(`${s}.`) });
      },
    };
    // Why the cast: WorkspaceConfiguration.get is overloaded (with and without a default); one implementation serves both.
    return configuration as vscode.WorkspaceConfiguration;
  }
}

type MessageLevel = 'info' | 'warning' | 'error';
export interface ShownMessage {
  level: MessageLevel;
  message: string;
  options: vscode.MessageOptions;
  items: string[];
}

export interface ProgressRun {
  options: vscode.ProgressOptions;
  reports: { message?: string; increment?: number }[];
  done: boolean;
}

/** Everything the test can read back or steer. */
export interface VscodeDouble {
  host: Host;
  context: HostContext & { subscriptions: { dispose(): unknown }[] };
  statusItems: StatusBarItemDouble[];
  channels: LogChannelDouble[];
  secrets: SecretStorageDouble;
  settings: ConfigurationStore;
  commands: Map<string, (...args: unknown[]) => unknown>;
  /** Commands run that the extension did not register (e.g. vscode.diff), with their arguments. */
  externalCommands: { id: string; args: unknown[] }[];
  messages: ShownMessage[];
  inputBoxes: vscode.InputBoxOptions[];
  refusedInputs: { value: string; problem: string }[];
  progress: ProgressRun[];
  opened: vscode.Uri[];
  uriHandlers: vscode.UriHandler[];
  workspaceFolders: vscode.WorkspaceFolder[];
  workspaceFoldersChanged: EventEmitterDouble<vscode.WorkspaceFoldersChangeEvent>;
  /** Answers the next input boxes in order; undefined means the person pressed Escape. */
  answerInputs(...answers: (string | undefined)[]): void;
  /** Decides which button a message gets; default: dismissed. */
  answerMessages: (message: ShownMessage) => string | undefined;
  answerQuickPick: (items: readonly vscode.QuickPickItem[]) => vscode.QuickPickItem | undefined;
  answerOpenDialog: () => vscode.Uri[] | undefined;
  answerSaveDialog: () => vscode.Uri | undefined;
  /** Every quick pick shown, with its items and options. */
  quickPicks: { items: readonly vscode.QuickPickItem[]; options: vscode.QuickPickOptions | undefined }[];
  /** The values of `setContext` calls, by key. */
  contextKeys: Map<string, unknown>;
  decorationProviders: vscode.FileDecorationProvider[];
  treeViews: Map<string, TreeViewDouble<unknown>>;
  fileSystems: Map<
    string,
    {
      provider: vscode.FileSystemProvider;
      options: { isReadonly?: boolean | vscode.MarkdownString; isCaseSensitive?: boolean } | undefined;
    }
  >;
  clipboard: string[];
  trusted: boolean;
  trustGranted: EventEmitterDouble<void>;
  activeEditorUri: vscode.Uri | undefined;
  globalState: MementoDouble;
  /** Timeline providers registered through the proposed API (the double allows the proposal). */
  timelineProviders: { scheme: string | string[]; provider: unknown }[];
  /** Files deleted through workspace.fs, with whether the trash was asked for. */
  deleted: { uri: vscode.Uri; useTrash: boolean }[];
  dispose(): Promise<void>;
}

export function createVscodeDouble(storageDir: string): VscodeDouble {
  const inputAnswers: (string | undefined)[] = [];
  const workspaceFoldersChanged = new EventEmitterDouble<vscode.WorkspaceFoldersChangeEvent>();
  const settings = new ConfigurationStore();

  const double: VscodeDouble = {
    host: undefined as unknown as Host, // set below, once the closures can see `double`
    context: {
      subscriptions: [],
      secrets: new SecretStorageDouble(),
      globalStorageUri: UriDouble.file(storageDir),
      globalState: new MementoDouble(),
    },
    statusItems: [],
    channels: [],
    secrets: undefined as unknown as SecretStorageDouble,
    settings,
    commands: new Map(),
    externalCommands: [],
    messages: [],
    inputBoxes: [],
    refusedInputs: [],
    progress: [],
    opened: [],
    uriHandlers: [],
    workspaceFolders: [],
    workspaceFoldersChanged,
    answerInputs: (...answers) => inputAnswers.push(...answers),
    answerMessages: () => undefined,
    answerQuickPick: () => undefined,
    answerOpenDialog: () => undefined,
    answerSaveDialog: () => undefined,
    quickPicks: [],
    contextKeys: new Map(),
    decorationProviders: [],
    treeViews: new Map(),
    fileSystems: new Map(),
    clipboard: [],
    trusted: true,
    trustGranted: new EventEmitterDouble<void>(),
    activeEditorUri: undefined,
    globalState: undefined as unknown as MementoDouble,
    deleted: [],
    timelineProviders: [],
    async dispose() {
      for (const d of double.context.subscriptions.splice(0).reverse()) await d.dispose();
    },
  };
  double.secrets = double.context.secrets as SecretStorageDouble;
  double.globalState = double.context.globalState as MementoDouble;
  const activeEditorChanged = new EventEmitterDouble<vscode.TextEditor | undefined>();

  const message =
    (level: MessageLevel) =>
    async <T extends string>(text: string, options: vscode.MessageOptions, ...items: T[]): Promise<T | undefined> => {
      const shown = { level, message: text, options, items };
      double.messages.push(shown);
      const answer = double.answerMessages(shown);
      return items.find((i) => i === answer);
    };

  const host: Host = {
    window: {
      createStatusBarItem(id, alignment, priority) {
        const item = new StatusBarItemDouble(id, alignment ?? (1 as vscode.StatusBarAlignment), priority);
        double.statusItems.push(item);
        return item;
      },
      createOutputChannel(name) {
        const channel = new LogChannelDouble(name);
        double.channels.push(channel);
        return channel;
      },
      async showInputBox(options) {
        double.inputBoxes.push(options ?? {});
        // Like the real box, a value validateInput refuses is not accepted: the person types the next answer.
        for (;;) {
          if (!inputAnswers.length) throw new Error(`The test did not answer the input box "${options?.title ?? options?.prompt}".`);
          const answer = inputAnswers.shift();
          const problem = answer !== undefined && options?.validateInput ? await options.validateInput(answer) : undefined;
          if (!problem) return answer;
          double.refusedInputs.push({ value: answer as string, problem: typeof problem === 'string' ? problem : problem.message });
        }
      },
      // Why the cast: showQuickPick is overloaded (one pick or many); one implementation answers both.
      showQuickPick: (async <T extends vscode.QuickPickItem>(
        items: readonly T[] | Thenable<readonly T[]>,
        options?: vscode.QuickPickOptions,
      ) => {
        const shown = await items;
        double.quickPicks.push({ items: shown, options });
        return double.answerQuickPick(shown);
      }) as Host['window']['showQuickPick'],
      async showSaveDialog() {
        return double.answerSaveDialog();
      },
      registerFileDecorationProvider(provider) {
        double.decorationProviders.push(provider);
        return { dispose: () => double.decorationProviders.splice(double.decorationProviders.indexOf(provider), 1) };
      },
      createTreeView<T>(id: string, options: vscode.TreeViewOptions<T>) {
        const view = new TreeViewDouble<T>(id, options.treeDataProvider);
        double.treeViews.set(id, view as TreeViewDouble<unknown>);
        return view;
      },
      get activeTextEditor() {
        const uri = double.activeEditorUri;
        // Why the cast: the glue reads only document.uri of the active editor.
        return uri ? ({ document: { uri } } as vscode.TextEditor) : undefined;
      },
      onDidChangeActiveTextEditor: activeEditorChanged.event,
      showInformationMessage: message('info'),
      showWarningMessage: message('warning'),
      showErrorMessage: message('error'),
      async withProgress(options, task) {
        const run: ProgressRun = { options, reports: [], done: false };
        double.progress.push(run);
        const token: vscode.CancellationToken = {
          isCancellationRequested: false,
          onCancellationRequested: new EventEmitterDouble<unknown>().event,
        };
        try {
          return await task({ report: (value) => run.reports.push(value) }, token);
        } finally {
          run.done = true;
        }
      },
      registerUriHandler(handler) {
        double.uriHandlers.push(handler);
        return { dispose: () => double.uriHandlers.splice(double.uriHandlers.indexOf(handler), 1) };
      },
      async showOpenDialog() {
        return double.answerOpenDialog();
      },
    },
    commands: {
      registerCommand(id, callback) {
        if (double.commands.has(id)) throw new Error(`command '${id}' already exists`);
        double.commands.set(id, callback);
        return { dispose: () => double.commands.delete(id) };
      },
      async executeCommand<T>(id: string, ...args: unknown[]): Promise<T> {
        if (id === 'setContext') {
          double.contextKeys.set(args[0] as string, args[1]);
          return undefined as T;
        }
        const command = double.commands.get(id);
        if (command) return (await command(...args)) as T;
        double.externalCommands.push({ id, args });
        return undefined as T;
      },
    },
    workspace: {
      getConfiguration: (section) => settings.section(section),
      onDidChangeConfiguration: settings.changed.event,
      onDidChangeWorkspaceFolders: workspaceFoldersChanged.event,
      get workspaceFolders() {
        return double.workspaceFolders;
      },
      registerFileSystemProvider(scheme, provider, options) {
        double.fileSystems.set(scheme, { provider, options });
        return { dispose: () => double.fileSystems.delete(scheme) };
      },
      get isTrusted() {
        return double.trusted;
      },
      onDidGrantWorkspaceTrust: double.trustGranted.event,
      fs: {
        async writeFile(uri, content) {
          fs.writeFileSync(uri.fsPath, content);
        },
        async delete(uri, options) {
          double.deleted.push({ uri, useTrash: options?.useTrash ?? false });
          fs.rmSync(uri.fsPath, { recursive: options?.recursive ?? false });
        },
      },
    },
    env: {
      appName: 'VS Code double',
      clipboard: {
        async readText() {
          return double.clipboard.at(-1) ?? '';
        },
        async writeText(value) {
          double.clipboard.push(value);
        },
      },
      async openExternal(target) {
        double.opened.push(target);
        return true;
      },
    },
    l10n: { t: fillPlaceholders },
    Uri: UriDouble,
    StatusBarAlignment: { Left: 1 },
    ProgressLocation: { Notification: 15, Window: 10 },
    ConfigurationTarget: { Global: 1 },
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    FileType: { File: 1, Directory: 2 },
    FileChangeType: { Changed: 1 },
    FilePermission: { Readonly: 1 },
    ThemeColor: ThemeColorDouble,
    ThemeIcon: ThemeIconDouble,
    TreeItem: TreeItemDouble,
    FileDecoration: FileDecorationDouble,
    MarkdownString: MarkdownStringDouble,
    EventEmitter: EventEmitterDouble,
    FileSystemError: FileSystemErrorDouble,
  };
  // The proposed Timeline API is not in @types/vscode: it sits on the workspace object as in an editor that enables it.
  Object.assign(host.workspace, {
    registerTimelineProvider(scheme: string | string[], provider: unknown): vscode.Disposable {
      const entry = { scheme, provider };
      double.timelineProviders.push(entry);
      return { dispose: () => double.timelineProviders.splice(double.timelineProviders.indexOf(entry), 1) };
    },
  });
  double.host = host;
  return double;
}

/** A workspace folder as VS Code describes one. */
export function workspaceFolder(fsPath: string, index = 0): vscode.WorkspaceFolder {
  return { uri: UriDouble.file(fsPath), name: path.basename(fsPath), index };
}
