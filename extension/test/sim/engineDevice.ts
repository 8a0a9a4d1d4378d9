// One simulated device running the real engine: EngineState, the SyncLoop on a FakeClock, the real passes
// (fullPass, incrementalPass, reconcile, guard, per-path retries, the status), the real SyncedIndex (its journal
// on /dev/shm, reopened after a crash), given an in-memory folder and server. Every request to the server and
// every read of the folder waits at a gate the simulation opens, so it decides what happens in between.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MyDropboxError, type FileEntry } from '@mydropbox/shared';
import { EngineState } from '../../src/sync/engineState';
import type { LocalIO, SyncServer } from '../../src/sync/engineIO';
import { fullPass, incrementalPass } from '../../src/sync/passes';
import { applyFeedAnswer } from '../../src/sync/feedFollower';
import { SyncedIndex, type SyncedEntry } from '../../src/sync/syncedIndex';
import { LocalTree } from '../../src/sync/localTree';
import { IgnoreRules } from '../../src/sync/ignore';
import { recordAnswer } from '../../src/sync/changeFeed';
import { executionPhases, type Action, type TreeEntry } from '../../src/sync/planner';
import { deleteOnServer, outcomeOf, type ExecutionReport, type ExecutorContext } from '../../src/sync/executor';
import { LocalChangedError } from '../../src/sync/transfer';
import type { LocalEntry } from '../../src/sync/scanner';
import { UnsafeLocalPathError } from '../../src/sync/pathSafety';
import type { FakeClock } from './fakeClock';
import { FeedPoll, MemServer, SimError, hashOf, toChange, type FeedPage } from './memServer';

function entryOf(content: string): LocalEntry & SyncedEntry {
  const contentHash = hashOf(content);
  return { size: content.length, mtime: 0, ino: 0, ctime: 0, hashedAt: 0, contentHash, blocks: [contentHash], rev: 0 };
}

/** The data server's errors as the RemoteClient rebuilds them. */
function asClientError(err: unknown): unknown {
  if (!(err instanceof SimError)) return err;
  if (err.code === 'offline') return new MyDropboxError('server_unavailable', err.message);
  return new MyDropboxError(err.code, err.message, err.code === 'conflict' ? { currentRev: err.currentRev } : undefined);
}

function fileEntry(p: string, content: string, rev: number): FileEntry {
  return { path: p, size: content.length, contentHash: hashOf(content), rev, modifiedAt: 0 };
}

const simRoot = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
/** No ignore rules in the simulated folders (made once: compiling even the defaults is most of a short run's time). */
const noRules = IgnoreRules.fromText('');

/** Runs the microtasks a gate's opening started (the engine's code up to its next gate); no real IO or timer is involved. */
export function drain(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

export class EngineDevice {
  /** The folder: file path -> content. */
  readonly files = new Map<string, string>();
  private s!: EngineState;
  private gates: { label: string; open: () => void }[] = [];
  /** The next answer from the server is lost (the server did the work). */
  dropNext = false;
  private readonly feed: FeedPoll;
  private readonly stateDir: string;

  constructor(
    readonly name: string,
    private readonly server: MemServer,
    private readonly clock: FakeClock,
  ) {
    this.feed = new FeedPoll(server, (page, sentFrom) => this.applyFeed(page, sentFrom));
    // One state directory per device name, emptied for each run (the index's journal and snapshot).
    this.stateDir = path.join(simRoot, `mydropbox-sim-${process.pid}`, name);
    fs.mkdirSync(this.stateDir, { recursive: true });
    for (const f of fs.readdirSync(this.stateDir)) fs.rmSync(path.join(this.stateDir, f), { force: true });
    this.open();
  }

  /** Starts the engine on the state directory: the index as the journal has it, a full pass owed. */
  private open(): void {
    const s = new EngineState({
      folder: `/sim/${this.name}`,
      stateDir: this.stateDir,
      session: {
        serverUrl: 'http://sim.invalid',
        getAccessToken: async () => ({ accessToken: 'sim', dataServerUrl: 'http://sim.invalid' }),
      },
      deviceName: this.name,
      clock: this.clock,
      server: this.serverClient(),
      io: this.localIO(),
    });
    const index = SyncedIndex.open(this.stateDir);
    s.index = index;
    s.local = new LocalTree(index.tree);
    index.beforeChange = (p) => s.local.pin(p);
    s.started = true;
    s.schedule = () => {
      if (!s.stopped) void s.loop.request('incremental', () => incrementalPass(s));
    };
    s.requestFullPass = () => void s.loop.request('fullPass', () => fullPass(s));
    this.s = s;
    s.requestFullPass();
  }

  /** kill -9, then start again: what was in memory is gone (a request in flight never answers); the index and the folder stay. */
  crash(): void {
    this.s.stopped = true;
    this.s.loop.stop();
    this.gates = [];
    this.feed.forget();
    this.dropNext = false;
    this.s.index?.close();
    this.open();
  }

  /** Ends the run: the index closed. */
  dispose(): void {
    this.s.stopped = true;
    this.s.loop.stop();
    this.gates = [];
    this.s.index?.close();
  }

  /** Removes every device's state directory (after the last run). */
  static cleanUp(): void {
    fs.rmSync(path.join(simRoot, `mydropbox-sim-${process.pid}`), { recursive: true, force: true });
  }

  get busy(): boolean {
    return this.gates.length > 0 || this.s.loop.pending > 0;
  }

  get waiting(): number {
    return this.gates.length;
  }

  /** Opens one of the waiting gates (`pick` chooses among concurrent requests) and runs the engine to its next ones. */
  async step(pick = 0): Promise<boolean> {
    if (this.gates.length === 0) return false;
    const [gate] = this.gates.splice(pick % this.gates.length, 1);
    if (process.env.SIM_TRACE) console.log(`${this.name}: ${gate!.label}`);
    gate!.open();
    await drain();
    return true;
  }

  /** The first folder above `p` that is a file here, if any. */
  private fileAbove(p: string): string | undefined {
    for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) if (this.files.has(p.slice(0, i))) return p.slice(0, i);
    return undefined;
  }

  private isFolder(p: string): boolean {
    for (const q of this.files.keys()) if (q.startsWith(`${p}/`)) return true;
    return false;
  }

  /** The person pauses syncing (SyncEngine.pause). */
  pause(): void {
    this.s.paused = true;
    this.s.setStatus({ kind: 'paused' });
  }

  /** The person resumes (SyncEngine.resume): a full pass. */
  resume(): void {
    const s = this.s;
    if (!s.paused) return;
    s.paused = false;
    s.setStatus({ kind: 'syncing', pending: 0 });
    s.requestFullPass();
  }

  /** A person's change: the watcher tells the engine (refresh.ts onWatch, for a file). */
  touched(p: string): void {
    this.s.dirtyLocal.add(p);
    this.s.schedule();
  }

  /** One answer of the feed's long poll, applied as feedFollower.ts does (or held, and applied later: a late answer). */
  pollFeed(hold = false): void {
    const s = this.s;
    if (!s.cursor || s.paused || s.current.kind === 'offline') return;
    this.feed.poll(s.cursor, hold);
  }

  deliverLate(): void {
    this.feed.deliverLate();
  }

  private applyFeed(page: FeedPage, sentFrom: string): void {
    const s = this.s;
    if (s.stopped) return;
    if (process.env.SIM_TRACE)
      console.log(
        `${this.name}: feed ${page.reset ? 'reset' : page.cursor}: ${page.changes.map((c) => `${c.path}@${c.rev}${c.deleted ? ' deleted' : ''}`).join(', ')}${s.cursor !== sentFrom ? ' (dropped: the cursor moved)' : ''}`,
      );
    applyFeedAnswer(s, sentFrom, { changes: page.changes.map(toChange), cursor: page.cursor, ...(page.reset ? { reset: true } : {}) });
  }

  /** What the engine says: its status and what it lists as not synced. */
  get status(): string {
    return JSON.stringify(this.s.current);
  }

  get notSynced(): string[] {
    return this.s.issues.items().map((i) => `${i.path}: ${i.message}`);
  }

  private gate(label: string): Promise<void> {
    return new Promise<void>((open) => this.gates.push({ label, open }));
  }

  /** A request: sent at one gate, the server does the work, the answer comes at the next (or is lost). */
  private async ask<T>(label: string, work: () => T): Promise<T> {
    await this.gate(`${label} sent`);
    let answer: T;
    try {
      answer = work();
    } catch (err) {
      await this.gate(`${label} answered`);
      throw asClientError(err);
    }
    if (this.dropNext) {
      this.dropNext = false;
      await this.gate(`${label} lost`);
      throw new MyDropboxError('server_unavailable', 'The connection was cut before the answer came.');
    }
    await this.gate(`${label} answered`);
    return answer;
  }

  private serverClient(): SyncServer {
    const server = this.server;
    const notHere = async (): Promise<never> => {
      throw new MyDropboxError('not_found', 'This server keeps no folders.');
    };
    return {
      list: () =>
        this.ask('list', () => {
          const { files, cursor } = server.list();
          return { files: [...files].map(([p, f]) => fileEntry(p, f.content, f.rev)), cursor };
        }),
      changes: (cursor: string) =>
        this.ask('changes', () => {
          const res = server.changes(cursor);
          return { changes: res.changes.map(toChange), cursor: res.cursor, ...(res.reset ? { reset: true } : {}) };
        }),
      meta: (p: string) =>
        this.ask(`meta ${p}`, () => {
          const f = server.meta(p);
          return { ...fileEntry(p, f.content, f.rev), blocks: [hashOf(f.content)] };
        }),
      folders: notHere,
      entries: notHere,
      createFolder: notHere,
      deleteFolder: notHere,
    } as SyncServer;
  }

  private localIO(): LocalIO {
    return {
      checkFolder: () => undefined,
      loadRules: async () => noRules,
      identity: async () => 'sim',
      scan: async (s) => {
        await this.gate('scan');
        const files = new LocalTree(s.index!.tree);
        for (const [p, c] of this.files) files.set(p, entryOf(c));
        return { files, unsettled: new Set(), skipped: [], strayTemps: [], folders: [], hashed: 0 };
      },
      removeStrayTemps: async () => undefined,
      refreshLocal: async (s) => {
        const paths = [...s.dirtyLocal];
        s.dirtyLocal.clear();
        if (paths.length) await this.gate('refresh');
        for (const p of paths) {
          s.issues.failures.delete(p);
          s.issues.writes.delete(p);
          s.issues.local.delete(p);
          // refresh.ts: below a file, or a folder now: not a file here; what a new folder holds is new here.
          if (this.fileAbove(p) !== undefined) {
            s.local.delete(p);
            continue;
          }
          if (this.isFolder(p)) {
            s.local.delete(p);
            for (const q of this.files.keys()) if (q.startsWith(`${p}/`)) (s.local.has(q) ? s.dirtyPlan : s.dirtyLocal).add(q);
            continue;
          }
          const c = this.files.get(p);
          if (c === undefined) s.local.delete(p);
          else s.local.set(p, entryOf(c));
        }
      },
      execute: (ctx, actions) => this.execute(ctx, actions),
    };
  }

  /** executor.ts's steps on the in-memory folder and server: the same checks, at the same points, in the same order of phases. */
  private async execute(ctx: ExecutorContext, actions: readonly Action[]): Promise<ExecutionReport> {
    const report: ExecutionReport = { outcomes: new Map(), errors: new Map(), touched: new Set() };
    const { records, clearing, transfers, deletes } = executionPhases(actions);
    for (const a of records) {
      if (a.kind !== 'updateSynced') continue;
      const l = ctx.local.get(a.path);
      if (!a.entry || !l) ctx.index.delete(a.path);
      else ctx.index.set(a.path, { ...l, rev: a.entry.rev ?? 0 }); // recordAgreement
      report.outcomes.set(a.path, 'done');
    }
    const runAll = (list: Action[]) =>
      Promise.all(
        list.map(async (a) => {
          try {
            if (process.env.SIM_TRACE)
              console.log(`${this.name}: run ${a.kind} ${a.path}${'conflictPath' in a ? ` -> ${a.conflictPath}` : ''}`);
            await this.runOne(ctx, a, report);
            report.outcomes.set(a.path, 'done');
          } catch (err) {
            report.outcomes.set(a.path, outcomeOf(err));
            report.errors.set(a.path, err);
            if (process.env.SIM_TRACE) console.log(`${this.name}: ${a.kind} ${a.path}: ${outcomeOf(err)} (${(err as Error).message})`);
          }
        }),
      );
    await runAll(clearing);
    // A transfer that a failed delete was to clear the way for waits for the next plan (as executor.ts does).
    const blocked = clearing.filter((a) => report.outcomes.get(a.path) !== 'done').map((a) => a.path);
    const isBlocked = (p: string) => blocked.some((b) => b === p || p.startsWith(`${b}/`) || b.startsWith(`${p}/`));
    for (const a of transfers) if (isBlocked(a.path)) report.outcomes.set(a.path, 'localChanged');
    await runAll(transfers.filter((a) => !isBlocked(a.path)));
    await runAll(deletes);
    return report;
  }

  private async runOne(ctx: ExecutorContext, a: Action, report: ExecutionReport): Promise<void> {
    switch (a.kind) {
      case 'upload': {
        const local = ctx.local.get(a.path);
        if (!local || local.contentHash !== a.local.contentHash) throw new LocalChangedError(a.path);
        ctx.index.markSending(a.path, { ...entryOf(''), ...local, rev: 0 });
        await this.gate(`read ${a.path}`);
        // The upload hashes what it sends: a file changed since the scan is a local change.
        const content = this.files.get(a.path);
        if (content === undefined || hashOf(content) !== a.local.contentHash) throw new LocalChangedError(a.path);
        const f = await this.ask(`commit ${a.path}`, () => this.server.commit(a.path, content, a.baseRev));
        recordAnswer(ctx.remoteTree, ctx.tombstones, a.path, { size: f.content.length, contentHash: hashOf(f.content), rev: f.rev });
        ctx.index.set(a.path, { ...entryOf(content), rev: f.rev });
        return;
      }
      case 'download':
        await this.download(ctx, a.path, a.remote, a.local ? ctx.local.get(a.path) : undefined, a.local !== undefined);
        return;
      case 'conflict':
        this.moveAside(ctx, a.path, a.conflictPath, a.local, report);
        await this.download(ctx, a.path, a.remote, undefined, false);
        return;
      case 'moveAside':
        this.moveAside(ctx, a.path, a.conflictPath, a.local, report);
        return;
      case 'downloadAside': {
        // The server's file goes beside the folder that took its name, and is recorded as synced (deleted there next round).
        const remoteEntry = ctx.remoteTree.get(a.path);
        if (!remoteEntry || remoteEntry.contentHash !== a.remote.contentHash || remoteEntry.rev !== a.remote.rev)
          throw new MyDropboxError('conflict', `"${a.path}" changed on the server since the plan.`);
        if (this.fileAbove(a.path) !== undefined || !this.isFolder(a.path)) throw new LocalChangedError(a.path);
        const f = await this.ask(`download ${a.path}`, () => this.server.meta(a.path));
        if (hashOf(f.content) !== remoteEntry.contentHash) throw new MyDropboxError('hash_mismatch', `"${a.path}" changed meanwhile.`);
        const above = this.fileAbove(a.conflictPath);
        if (above !== undefined) throw new UnsafeLocalPathError(a.conflictPath, above, 'not a folder');
        if (this.files.has(a.conflictPath) || this.isFolder(a.conflictPath)) throw new LocalChangedError(a.conflictPath);
        this.files.set(a.conflictPath, f.content);
        ctx.local.set(a.conflictPath, entryOf(f.content));
        report.touched.add(a.conflictPath);
        ctx.index.set(a.path, { ...entryOf(f.content), rev: remoteEntry.rev });
        return;
      }
      case 'deleteRemote': {
        // Only a file here stops it (a folder that took the name does not).
        if (this.files.has(a.path) && this.fileAbove(a.path) === undefined) throw new LocalChangedError(a.path);
        await deleteOnServer(ctx, a.path, a.baseRev, () => this.ask(`delete ${a.path}`, () => this.server.delete(a.path, a.baseRev)));
        return;
      }
      case 'deleteLocal': {
        const local = ctx.local.get(a.path);
        if (local && local.contentHash !== a.local.contentHash) throw new LocalChangedError(a.path);
        await this.gate(`rm ${a.path}`);
        // deleteLocalFile: checkParents throws below a file; only the file the plan saw (or none) is removed.
        const above = this.fileAbove(a.path);
        if (above !== undefined) throw new UnsafeLocalPathError(a.path, above, 'not a folder');
        const c = this.files.get(a.path);
        if (c !== undefined && (local === undefined || hashOf(c) !== local.contentHash)) throw new LocalChangedError(a.path);
        this.files.delete(a.path);
        ctx.local.delete(a.path);
        ctx.index.delete(a.path);
        return;
      }
      case 'updateSynced':
        return;
    }
  }

  private moveAside(ctx: ExecutorContext, p: string, conflictPath: string, planned: TreeEntry, report: ExecutionReport): void {
    const local = ctx.local.get(p);
    if (!local || local.contentHash !== planned.contentHash) throw new LocalChangedError(p);
    const above = this.fileAbove(p);
    if (above !== undefined) throw new UnsafeLocalPathError(p, above, 'not a folder');
    const c = this.files.get(p);
    if (c === undefined || hashOf(c) !== local.contentHash) throw new LocalChangedError(p);
    if (this.files.has(conflictPath) || this.isFolder(conflictPath)) throw new LocalChangedError(conflictPath);
    this.files.delete(p);
    this.files.set(conflictPath, c);
    ctx.local.delete(p);
    ctx.local.set(conflictPath, local);
    report.touched.add(conflictPath);
  }

  private async download(
    ctx: ExecutorContext,
    p: string,
    want: TreeEntry,
    expect: TreeEntry | undefined,
    hadLocal: boolean,
  ): Promise<void> {
    if (hadLocal && !expect) throw new LocalChangedError(p);
    const remoteEntry = ctx.remoteTree.get(p);
    if (!remoteEntry || remoteEntry.contentHash !== want.contentHash)
      throw new MyDropboxError('conflict', `"${p}" changed on the server since the plan.`);
    const f = await this.ask(`download ${p}`, () => this.server.meta(p));
    if (hashOf(f.content) !== want.contentHash) throw new MyDropboxError('hash_mismatch', `"${p}" changed meanwhile.`);
    // writeFileSafely: every folder above must be a folder (made if missing); a folder at the name is not what the plan saw.
    const above = this.fileAbove(p);
    if (above !== undefined) throw new UnsafeLocalPathError(p, above, 'not a folder');
    if (this.isFolder(p)) throw new LocalChangedError(p);
    // Renamed over the target only if it is still what the plan saw (nothing, when nothing was there).
    const now = this.files.get(p);
    if (expect === undefined ? now !== undefined : now === undefined || hashOf(now) !== expect.contentHash) throw new LocalChangedError(p);
    this.files.set(p, f.content);
    const e = entryOf(f.content);
    ctx.local.set(p, e);
    ctx.index.set(p, { ...e, rev: remoteEntry.rev });
  }
}
