// A typed stand-in for the slice of the VS Code API the glue uses (Host), recording what the extension shows and asks.
//
// It implements the same `Host` interface that the real `vscode` module is checked against in
// extension.ts, with types from @types/vscode, so a change on either side breaks the build, not the tests.
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

export class EventEmitterDouble<T> {
  private readonly listeners = new Set<(e: T) => unknown>();

  readonly event: vscode.Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(e: T): void {
    for (const listener of [...this.listeners]) listener(e);
  }
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
  dispose(): Promise<void>;
}

export function createVscodeDouble(storageDir: string): VscodeDouble {
  const inputAnswers: (string | undefined)[] = [];
  const workspaceFoldersChanged = new EventEmitterDouble<vscode.WorkspaceFoldersChangeEvent>();
  const settings = new ConfigurationStore();

  const double: VscodeDouble = {
    host: undefined as unknown as Host, // set below, once the closures can see `double`
    context: { subscriptions: [], secrets: new SecretStorageDouble(), globalStorageUri: UriDouble.file(storageDir) },
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
    async dispose() {
      for (const d of double.context.subscriptions.splice(0).reverse()) await d.dispose();
    },
  };
  double.secrets = double.context.secrets as SecretStorageDouble;

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
      async showQuickPick<T extends vscode.QuickPickItem>(items: readonly T[]) {
        return double.answerQuickPick(items) as T | undefined;
      },
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
    },
    env: {
      appName: 'VS Code double',
      async openExternal(target) {
        double.opened.push(target);
        return true;
      },
    },
    Uri: UriDouble,
    StatusBarAlignment: { Left: 1 },
    ProgressLocation: { Notification: 15, Window: 10 },
    ConfigurationTarget: { Global: 1 },
    ThemeColor: class ThemeColor {
      constructor(readonly id: string) {}
    },
  };
  double.host = host;
  return double;
}

/** A workspace folder as VS Code describes one. */
export function workspaceFolder(fsPath: string, index = 0): vscode.WorkspaceFolder {
  return { uri: UriDouble.file(fsPath), name: path.basename(fsPath), index };
}
