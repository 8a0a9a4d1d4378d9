// MyDropbox's side of each workload: the sync engine in this process against the launcher's servers in theirs.
import fs from 'node:fs';
import path from 'node:path';
import { SyncEngine, type Session } from '../extension/src/sync';

export interface TimedSync {
  seconds: number;
  blockBytesSent: number;
  requests: number;
}

/** One engine (folder + its own state) whose full passes the bench times. */
export class BenchClient {
  readonly engine: SyncEngine;

  constructor(
    readonly folder: string,
    readonly stateDir: string,
    session: Session,
  ) {
    fs.mkdirSync(folder, { recursive: true });
    this.engine = new SyncEngine({
      folder,
      stateDir,
      session,
      deviceName: 'bench',
      events: { log: (level, message) => (level === 'error' ? process.stderr.write(`engine: ${message}\n`) : undefined) },
    });
  }

  /** One `syncNow()` (what `mydropbox sync --once` runs): resolves when every file is committed and durable on the server. */
  async sync(): Promise<TimedSync> {
    const before = { ...this.engine.remote.stats };
    const t0 = process.hrtime.bigint();
    await this.engine.syncNow();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = this.engine.remote.stats;
    return { seconds, blockBytesSent: after.blockBytesSent - before.blockBytesSent, requests: after.requests - before.requests };
  }

  async close(): Promise<void> {
    await this.engine.stop();
  }
}

export function stateDirIn(work: string, name: string): string {
  const dir = path.join(work, 'state', name);
  fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}
