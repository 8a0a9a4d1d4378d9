// Owns the running engine: starts it when signed in with a folder, stops it on sign-out, and feeds the status bar.
import fs from 'node:fs';
import path from 'node:path';
import type * as vscode from 'vscode';
import type * as sync from './sync';
import type { ActivityEvent, RemoteClient, SyncEngine } from './sync';
import { readSettings, resolveSyncFolder } from './config';
import { CONTEXT_KEYS, type ContextKeys } from './contextKeys';
import type { ConflictNotifier } from './conflicts';
import type { Host } from './host';
import { writeLog } from './log';
import type { DeviceCredentials, DeviceSecrets } from './secrets';
import type { ShownStatus, SyncStatusBar } from './statusBar';
import { stateDirFor } from './sync/stateDir';

/** The parts of the engine module the glue uses; injected so tests and the daemon-free build share one wiring. */
export type SyncModule = Pick<typeof sync, 'SyncEngine' | 'signIn' | 'signOut' | 'deviceTokenSession' | 'discover' | 'RemoteClient'>;

/** What the views and decorations follow; every member optional. */
export interface SyncListener {
  /** An engine started or stopped (undefined). */
  engineChanged?(engine: SyncEngine | undefined): void;
  /** The engine's pathsChanged: these paths' state may differ now (undefined: any path's). */
  pathsChanged?(paths: readonly string[] | undefined): void;
  activity?(event: ActivityEvent): void;
  status?(status: ShownStatus): void;
}

export interface ControllerDeps {
  host: Host;
  sync: SyncModule;
  secrets: DeviceSecrets;
  log: vscode.LogOutputChannel;
  statusBar: SyncStatusBar;
  conflicts: ConflictNotifier;
  contextKeys: ContextKeys;
  /** Engine state lives below here, one directory per (folder, server, user). */
  stateRoot: string;
  deviceName: string;
}

export class SyncController implements vscode.Disposable {
  private credentials: DeviceCredentials | undefined;
  private folder: string | undefined;
  private engine: SyncEngine | undefined;
  private lastStatus: ShownStatus = { kind: 'signedOut' };
  private firstSync: { report(message: string): void; done(): void } | undefined;
  /** Signed in from this window: only then does a window without a sync folder show the item (to choose one). */
  private engaged = false;
  /** The folder to sync is in a workspace not trusted yet. */
  private restricted = false;
  private readonly statusWaiters = new Set<(s: ShownStatus) => void>();
  private readonly listeners = new Set<SyncListener>();
  private remoteClient: { token: string; client: RemoteClient } | undefined;

  constructor(private readonly deps: ControllerDeps) {}

  get status(): ShownStatus {
    return this.lastStatus;
  }

  get signedIn(): DeviceCredentials | undefined {
    return this.credentials;
  }

  get syncFolder(): string | undefined {
    return this.folder;
  }

  /** The running engine, if any (decorations and the Activity view read its state). */
  get syncEngine(): SyncEngine | undefined {
    return this.engine;
  }

  /** A client of the signed-in account's data server (the engine's own while it runs); undefined when signed out. */
  remote(): RemoteClient | undefined {
    if (this.engine) return this.engine.remote;
    const credentials = this.credentials;
    if (!credentials) return undefined;
    if (this.remoteClient?.token !== credentials.deviceToken)
      this.remoteClient = {
        token: credentials.deviceToken,
        client: new this.deps.sync.RemoteClient(this.deps.sync.deviceTokenSession(credentials.serverUrl, credentials.deviceToken)),
      };
    return this.remoteClient.client;
  }

  /** Follows engines, paths and status from now on; dispose to stop. */
  listen(listener: SyncListener): vscode.Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** The address for links and sign-in: the signed-in server, else the setting. */
  get serverUrl(): string {
    return this.credentials?.serverUrl ?? readSettings(this.deps.host).serverUrl;
  }

  /** Loads the stored device and starts syncing when a folder is configured. Called once at activation. */
  async restore(): Promise<void> {
    this.credentials = await this.deps.secrets.load();
    await this.refresh();
  }

  /**
   * Settings, workspace folders or trust changed: (re)start the engine if the folder it should sync changed.
   * A folder that comes from an untrusted workspace (rather than the person's own `mydropbox.folder`)
   * waits until the workspace is trusted: opening someone else's project must not start uploading it.
   */
  async refresh(): Promise<void> {
    const settings = readSettings(this.deps.host);
    const folder = resolveSyncFolder(settings, this.deps.host.workspace.workspaceFolders);
    this.restricted = folder !== undefined && settings.folder === undefined && !this.deps.host.workspace.isTrusted;
    const wantEngine = this.credentials !== undefined && folder !== undefined && !this.restricted;
    if (folder !== this.folder || wantEngine !== (this.engine !== undefined)) {
      await this.stopEngine();
      this.folder = folder;
      if (this.credentials && folder && wantEngine) {
        await this.startEngine(this.credentials, folder);
        return;
      }
    }
    if (this.engine) this.render();
    else this.setStatus(!this.credentials ? { kind: 'signedOut' } : this.restricted ? { kind: 'restricted' } : { kind: 'noFolder' });
  }

  async signInWithPassword(serverUrl: string, username: string, password: string): Promise<DeviceCredentials> {
    const result = await this.deps.sync.signIn(serverUrl, username, password, { name: this.deps.deviceName, kind: 'vscode' });
    const credentials = { serverUrl, username: result.username, deviceToken: result.deviceToken };
    await this.adopt(credentials);
    return credentials;
  }

  /** Takes over a device token obtained elsewhere (the website's one-time sign-in code). */
  async adopt(credentials: DeviceCredentials): Promise<void> {
    await this.stopEngine();
    const previous = this.credentials;
    await this.deps.secrets.save(credentials);
    this.credentials = credentials;
    this.engaged = true;
    this.deps.log.info(`Signed in to ${credentials.serverUrl} as ${credentials.username}.`);
    if (previous && previous.deviceToken !== credentials.deviceToken) await this.revoke(previous);
    this.folder = undefined;
    await this.refresh();
  }

  async signOut(): Promise<void> {
    await this.stopEngine();
    const previous = this.credentials;
    this.credentials = undefined;
    await this.deps.secrets.clear();
    if (previous) await this.revoke(previous);
    this.deps.log.info('Signed out.');
    this.setStatus({ kind: 'signedOut' });
  }

  pause(): boolean {
    if (!this.engine) return false;
    this.engine.pause();
    return true;
  }

  resume(): boolean {
    if (!this.engine) return false;
    this.engine.resume();
    return true;
  }

  /** Runs one full pass; false when there is nothing running to sync. */
  async syncNow(): Promise<boolean> {
    if (!this.engine) return false;
    await this.engine.syncNow();
    return true;
  }

  /** Resolves with the first status (already current or coming) that satisfies `predicate`. */
  waitForStatus(predicate: (s: ShownStatus) => boolean): Promise<ShownStatus> {
    if (predicate(this.lastStatus)) return Promise.resolve(this.lastStatus);
    return new Promise((resolve) => {
      const waiter = (s: ShownStatus) => {
        if (!predicate(s)) return;
        this.statusWaiters.delete(waiter);
        resolve(s);
      };
      this.statusWaiters.add(waiter);
    });
  }

  async stop(): Promise<void> {
    await this.stopEngine();
  }

  dispose(): void {
    void this.stopEngine();
  }

  private async startEngine(credentials: DeviceCredentials, folder: string): Promise<void> {
    const stateDir = stateDirFor(path.join(this.deps.stateRoot, 'sync'), {
      folder,
      serverUrl: credentials.serverUrl,
      username: credentials.username,
    });
    const firstTime = !fs.existsSync(stateDir);
    // A missing folder is made by the engine at a first sync only: later, missing means unmounted or moved (the engine stops and says so).
    await fs.promises.mkdir(stateDir, { recursive: true });
    const session = this.deps.sync.deviceTokenSession(credentials.serverUrl, credentials.deviceToken);
    const engine = new this.deps.sync.SyncEngine({
      folder,
      stateDir,
      session,
      deviceName: this.deps.deviceName,
      events: {
        status: (s) => {
          if (this.engine === engine) this.setStatus(s);
        },
        log: (level, message) => writeLog(this.deps.log, level, message),
        pathsChanged: (paths) => {
          if (this.engine === engine) for (const l of this.listeners) l.pathsChanged?.(paths);
        },
        activity: (event) => {
          if (this.engine === engine) for (const l of this.listeners) l.activity?.(event);
        },
        conflict: (info) => {
          this.deps.log.warn(`Conflict on ${info.path}: both versions kept, the other as ${info.conflictPath}.`);
          void this.deps.conflicts
            .notify(folder, info, readSettings(this.deps.host).openConflictDiff)
            .catch((err: unknown) => this.deps.log.error(`Could not open the conflict diff: ${String(err)}`));
        },
      },
    });
    this.engine = engine;
    for (const l of this.listeners) l.engineChanged?.(engine);
    this.deps.log.info(`Syncing ${folder} with ${credentials.serverUrl} as ${credentials.username}.`);
    if (firstTime) this.showFirstSyncProgress(folder);
    this.setStatus({ kind: 'syncing', pending: 0 });
    engine.start().then(
      () => {
        if (this.engine === engine) this.setStatus(engine.status);
      },
      (err: unknown) => {
        if (this.engine !== engine) return;
        const message = err instanceof Error ? err.message : String(err);
        this.deps.log.error(`Sync stopped: ${message}`);
        this.setStatus({ kind: 'error', message });
      },
    );
  }

  private async stopEngine(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    this.firstSync?.done();
    if (!engine) return;
    for (const l of this.listeners) l.engineChanged?.(undefined);
    try {
      await engine.stop();
    } catch (err) {
      this.deps.log.warn(`Stopping the sync engine failed: ${String(err)}`);
    }
  }

  /** A device token the router refused is useless: forget it so the status bar offers to sign in again. */
  private async handleRevokedToken(): Promise<void> {
    this.deps.log.warn('The server no longer accepts this device; sign in again.');
    await this.stopEngine();
    this.credentials = undefined;
    await this.deps.secrets.clear();
    this.render();
    void this.deps.host.window
      .showWarningMessage(
        'MyDropbox: the server no longer accepts this device, so syncing stopped. Sign in again to resume.',
        {},
        'Sign In',
      )
      .then((choice) => {
        if (choice === 'Sign In') void this.deps.host.commands.executeCommand('mydropbox.signIn');
      });
  }

  private async revoke(credentials: DeviceCredentials): Promise<void> {
    try {
      await this.deps.sync.signOut(credentials.serverUrl, credentials.deviceToken);
    } catch (err) {
      // The token is gone from this machine either way; the Devices page on the website can revoke it later.
      this.deps.log.warn(
        `Could not revoke the old device token at ${credentials.serverUrl}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  private showFirstSyncProgress(folder: string): void {
    this.deps.host.window.withProgress(
      {
        location: this.deps.host.ProgressLocation.Notification,
        title: `MyDropbox: first sync of ${path.basename(folder)}`,
        cancellable: false,
      },
      (progress) =>
        new Promise<void>((resolve) => {
          this.firstSync = {
            report: (message) => progress.report({ message }),
            done: () => {
              this.firstSync = undefined;
              resolve();
            },
          };
        }),
    );
  }

  private setStatus(status: ShownStatus): void {
    this.lastStatus = status;
    if (status.kind === 'signedOut' && this.engine) void this.handleRevokedToken();
    if (this.firstSync) {
      if (status.kind === 'syncing')
        this.firstSync.report(status.pending > 0 ? `${status.pending} files to go` : 'comparing with the server');
      else this.firstSync.done();
    }
    this.render();
    for (const l of this.listeners) l.status?.(status);
    for (const waiter of [...this.statusWaiters]) waiter(status);
  }

  private render(): void {
    const status = this.lastStatus;
    const keys = this.deps.contextKeys;
    keys.set(CONTEXT_KEYS.signedIn, this.credentials !== undefined);
    keys.set(CONTEXT_KEYS.active, this.engine !== undefined);
    keys.set(CONTEXT_KEYS.paused, this.engine !== undefined && status.kind === 'paused');
    keys.set(CONTEXT_KEYS.syncing, this.engine !== undefined && status.kind === 'syncing');
    keys.set(CONTEXT_KEYS.upToDate, this.engine !== undefined && status.kind === 'upToDate');
    keys.set(CONTEXT_KEYS.restricted, this.restricted && this.credentials !== undefined);
    // An unrelated workspace: stay out of the status bar unless the person signed in from this window.
    if (!this.folder && (status.kind === 'signedOut' || (status.kind === 'noFolder' && !this.engaged))) {
      this.deps.statusBar.hide();
      return;
    }
    this.deps.statusBar.show(status, {
      serverUrl: this.credentials?.serverUrl,
      username: this.credentials?.username,
      folder: this.folder,
      notSynced: this.engine?.notSynced.length,
    });
  }
}
