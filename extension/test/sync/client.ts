// Test support for the sync engine's whole-stack tests: a client (folder + state + engine) signed in to a stack.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FOLDER_MARKER, SyncEngine, deviceTokenSession, type EngineOptions, type Session, type SyncStatus } from '../../src/sync';
import { startStack, type Stack, type StackUser } from '../../../test/support/stack';

export interface TestClient {
  folder: string;
  stateDir: string;
  engine: SyncEngine;
  statuses: SyncStatus[];
  conflicts: { path: string; conflictPath: string }[];
  file(rel: string): string;
  write(rel: string, data: string | Uint8Array): void;
  read(rel: string): string | undefined;
  /** Files in the folder (relative, sorted), ignoring the engine's temp files and the folder's marker. */
  tree(): Record<string, string>;
  close(): Promise<void>;
}

export interface ClientOptions {
  session?: Session;
  deviceName?: string;
  root?: string;
  timeouts?: EngineOptions['timeouts'];
  folderPollMs?: number;
}

/**
 * Mocha hooks for a suite of sync clients: one real stack for the file, a fresh account for each test
 * (both handed to `bind`), and every client made by the returned function closed after its test.
 */
export function syncClientHooks(bind: {
  stack(stack: Stack): void;
  user(user: StackUser): void;
}): ((opts?: ClientOptions, who?: Pick<StackUser, 'deviceToken'>) => TestClient) & { closeAll(): Promise<void> } {
  let stack: Stack | undefined;
  let user: StackUser | undefined;
  const clients: TestClient[] = [];
  before(async () => bind.stack((stack = await startStack())));
  beforeEach(async () => bind.user((user = await stack!.signUpAndSignIn())));
  const closeAll = async () => {
    for (const c of clients.splice(0)) await c.close();
  };
  afterEach(closeAll);
  after(async () => {
    await stack?.close();
  });
  const client = (opts: ClientOptions = {}, who: Pick<StackUser, 'deviceToken'> = user!) => {
    const c = makeClient(stack!.url, who, opts);
    clients.push(c);
    return c;
  };
  return Object.assign(client, { closeAll });
}

export function makeClient(serverUrl: string, user: Pick<StackUser, 'deviceToken'>, opts: ClientOptions = {}): TestClient {
  const root = opts.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-sync-'));
  const folder = path.join(root, 'myDropbox');
  const stateDir = path.join(root, 'state');
  fs.mkdirSync(folder, { recursive: true });
  const statuses: SyncStatus[] = [];
  const conflicts: { path: string; conflictPath: string }[] = [];
  const engine = new SyncEngine({
    folder,
    stateDir,
    session: opts.session ?? deviceTokenSession(serverUrl, user.deviceToken),
    deviceName: opts.deviceName ?? 'test-device',
    ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
    ...(opts.folderPollMs !== undefined ? { folderPollMs: opts.folderPollMs } : {}),
    events: {
      status: (s) => statuses.push(s),
      conflict: (c) => conflicts.push(c),
      log: (level, message) => {
        if (process.env.SYNC_LOG) console.log(`[${level}] ${message}`);
      },
    },
  });
  const file = (rel: string) => path.join(folder, ...rel.split('/'));
  return {
    folder,
    stateDir,
    engine,
    statuses,
    conflicts,
    file,
    write(rel, data) {
      fs.mkdirSync(path.dirname(file(rel)), { recursive: true });
      fs.writeFileSync(file(rel), data);
    },
    read(rel) {
      try {
        return fs.readFileSync(file(rel), 'utf8');
      } catch {
        return undefined;
      }
    },
    tree() {
      return readTree(folder);
    },
    async close() {
      await engine.stop();
      if (!opts.root) fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export function readTree(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(dir, e.name), r);
      else if (e.isFile() && !e.name.startsWith('.mydropbox-tmp-') && r !== FOLDER_MARKER)
        out[r] = fs.readFileSync(path.join(dir, e.name)).toString('base64');
    }
  };
  walk(folder, '');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Polls until `check` passes (returns without throwing) or the time is up, then throws its last error. */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
