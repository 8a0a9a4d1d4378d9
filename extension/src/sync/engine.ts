// The sync engine: keeps one folder and the person's data server the same, both ways (public surface; VS Code-free).
import type { Session } from './session';

export type SyncStatus =
  | { kind: 'upToDate'; lastSyncAt?: number }
  | { kind: 'syncing'; pending: number }
  | { kind: 'paused' }
  | { kind: 'offline'; retryAt?: number; reason: string }
  | { kind: 'signedOut' }
  | { kind: 'error'; message: string };

export interface SyncEvents {
  status?(status: SyncStatus): void;
  log?(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  conflict?(info: { path: string; conflictPath: string }): void; // both versions kept; tell the person
}

export interface EngineOptions {
  folder: string;
  stateDir: string;
  session: Session;
  events?: SyncEvents;
  /** Shown in conflicted copies' names ("conflicted copy from <deviceName> …"); defaults to the host name. */
  deviceName?: string;
}

export class SyncEngine {
  private current: SyncStatus = { kind: 'upToDate' };

  constructor(private readonly opts: EngineOptions) {}

  /** Scan + reconcile, then watch and follow the change feed until stop(). */
  async start(): Promise<void> {
    throw new Error(`not implemented yet (${this.opts.folder})`);
  }

  async stop(): Promise<void> {}

  pause(): void {}

  resume(): void {}

  /** One full pass both ways; resolves when in sync (or throws the reason). */
  async syncNow(): Promise<void> {
    throw new Error('not implemented yet');
  }

  get status(): SyncStatus {
    return this.current;
  }
}
