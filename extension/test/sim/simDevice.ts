// One simulated device: a folder in memory, the synced index that survives a crash, and the engine's passes
// (full, incremental, reconcile rounds) over the real planner, with each await point of the real engine a
// `yield` here, so the simulation decides what happens in between (edits, other devices, a crash, a lost answer).
import { executionPhases, plan, type Action, type TreeEntry } from '../../src/sync/planner';
import { applyChanges, recordAnswer, recordGone } from '../../src/sync/changeFeed';
import type { RemoteEntry } from '../../src/sync/executor';
import { FeedPoll, MemServer, SimError, hashOf, toChange, type FeedChange, type FeedPage, type ServerFile } from './memServer';

const MAX_ROUNDS = 6;

type Outcome = 'done' | 'localChanged' | 'remoteChanged' | 'retry';

/** What the engine keeps on disk beside the folder (the synced index and its saved cursor): survives a crash. */
interface Durable {
  index: Map<string, TreeEntry>;
  savedCursor: string | undefined;
}

export class SimDevice {
  /** The folder: file path -> content (folders are the paths' parents). */
  readonly files = new Map<string, string>();
  private readonly durable: Durable = { index: new Map(), savedCursor: undefined };
  // What a crash loses: the engine's trees, cursor and dirty paths.
  private local = new Map<string, TreeEntry>();
  private remoteTree = new Map<string, RemoteEntry>();
  private tombstones = new Map<string, number>();
  private cursor: string | undefined;
  private readonly dirtyLocal = new Set<string>();
  private readonly dirtyRemote = new Set<string>();
  private readonly dirtyPlan = new Set<string>();
  private passOwed = true;
  private running: Generator<void, void, void> | undefined;
  /** The next answer from the server to this device is lost (the server did the work). */
  dropNext = false;
  private readonly feed: FeedPoll;
  readonly log: string[] = [];

  constructor(
    readonly name: string,
    private readonly server: MemServer,
    private readonly now: () => number,
    /** A bug put back on purpose, to show the simulator finds it (simulation.test.ts). */
    private readonly mutation?: Mutation,
  ) {
    this.feed = new FeedPoll(server, (page, sentFrom) => this.applyFeed(page, sentFrom));
  }

  /** Whether the engine has anything to do. */
  get busy(): boolean {
    return this.running !== undefined || this.passOwed || this.dirtyLocal.size + this.dirtyRemote.size + this.dirtyPlan.size > 0;
  }

  /** A person's change in the folder; the watcher tells the engine about it. */
  touched(path: string): void {
    this.dirtyLocal.add(path);
  }

  /** Runs the engine to its next await point (starting a pass when one is owed). False when there was nothing to do. */
  step(): boolean {
    if (!this.running) {
      if (!this.busy) return false;
      this.running = this.passOwed ? this.fullPass() : this.incrementalPass();
    }
    try {
      if (this.running.next().done) this.running = undefined;
    } catch (err) {
      this.running = undefined;
      if (err instanceof SimError && err.code === 'offline')
        this.passOwed = true; // guard(): offline, a full pass later
      else throw err;
    }
    return true;
  }

  /** kill -9 and start again: the trees, cursor and dirty paths are gone; the index and the folder stay. */
  crash(): void {
    this.running = undefined;
    this.local = new Map();
    this.remoteTree = new Map();
    this.tombstones = new Map();
    this.cursor = undefined;
    this.dirtyLocal.clear();
    this.dirtyRemote.clear();
    this.dirtyPlan.clear();
    this.feed.forget();
    this.passOwed = true;
    this.dropNext = false;
  }

  /** One long-poll answer of the change feed (held back when `hold`, delivered later by `deliverLate`). */
  pollFeed(hold = false): void {
    // The follower waits for a cursor, and while offline.
    if (this.cursor === undefined || this.passOwed) return;
    this.feed.poll(this.cursor, hold);
  }

  deliverLate(): void {
    this.feed.deliverLate();
  }

  /** feedFollower.ts: the page's cursor and its changes together, only while the cursor is the one its poll was sent from. */
  private applyFeed(page: FeedPage, sentFrom: string): void {
    if (this.cursor !== sentFrom) return;
    this.trace(`feed ${page.cursor}: ${page.changes.map((c) => `${c.path}@${c.rev}${c.deleted ? ' deleted' : ''}`).join(', ')}`);
    this.cursor = page.cursor;
    for (const p of applyChanges(page.changes.map(toChange), this.remoteTree, this.tombstones)) this.dirtyPlan.add(p);
  }

  /** The server answers; a dropped answer means the work was done there and the device saw a network error. */
  private ask<T>(what: () => T): T {
    const answer = what();
    if (this.dropNext) {
      this.dropNext = false;
      throw new SimError('offline', 'the answer was lost');
    }
    return answer;
  }

  private trace(msg: string): void {
    if (process.env.SIM_TRACE) console.log(`${this.name}: ${msg}`);
  }

  private *fullPass(): Generator<void, void, void> {
    this.trace(`full pass (saved cursor ${this.durable.savedCursor}, cursor ${this.cursor})`);
    const index = this.durable.index;
    // The first pass after a start replays the feed from the saved cursor onto the index's view, else lists.
    let snapshot: { files: Map<string, ServerFile> } | { since: FeedChange[] };
    let cursor: string;
    const saved = this.cursor === undefined ? this.durable.savedCursor : undefined;
    yield;
    if (saved !== undefined) {
      const res = this.ask(() => this.server.changes(saved));
      snapshot = { since: res.changes };
      cursor = res.cursor;
    } else {
      const res = this.ask(() => this.server.list());
      snapshot = { files: res.files };
      cursor = res.cursor;
    }
    // The scan: the folder as it is now.
    this.local = new Map([...this.files].map(([p, c]) => [p, entryOf(c)]));
    yield;
    if ('files' in snapshot) {
      this.remoteTree = new Map(
        [...snapshot.files].map(([p, f]) => [p, { size: f.content.length, contentHash: hashOf(f.content), rev: f.rev }]),
      );
    } else {
      this.remoteTree = new Map([...index].map(([p, e]) => [p, { size: e.size, contentHash: e.contentHash, rev: e.rev ?? 0 }]));
      applyChanges(snapshot.since.map(toChange), this.remoteTree, this.tombstones);
    }
    this.cursor = cursor;
    this.passOwed = false;
    const paths = new Set<string>();
    for (const p of new Set([...index.keys(), ...this.local.keys(), ...this.remoteTree.keys()])) paths.add(p);
    yield* this.reconcile(paths);
    this.saveCursorIfInSync();
  }

  private *incrementalPass(): Generator<void, void, void> {
    if (this.dirtyLocal.size + this.dirtyRemote.size + this.dirtyPlan.size === 0) return;
    yield* this.reconcile(new Set());
  }

  /** When the server holds exactly the synced index, the next start needs only the feed since now. */
  private saveCursorIfInSync(): void {
    const index = this.durable.index;
    if (this.cursor === undefined || this.remoteTree.size !== index.size) return;
    for (const [p, r] of this.remoteTree) {
      const s = index.get(p);
      if (!s || s.contentHash !== r.contentHash || s.rev !== r.rev) return;
    }
    this.durable.savedCursor = this.cursor;
  }

  private *reconcile(paths: Set<string>): Generator<void, void, void> {
    const index = this.durable.index;
    let last: Action[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      for (const p of [...this.dirtyLocal, ...this.dirtyRemote, ...this.dirtyPlan]) paths.add(p);
      this.dirtyPlan.clear();
      // refreshLocal: the watcher's paths read again.
      for (const p of this.dirtyLocal) {
        const c = this.files.get(p);
        if (c === undefined) this.local.delete(p);
        else this.local.set(p, entryOf(c));
      }
      this.dirtyLocal.clear();
      // refreshRemote: one meta request per path.
      for (const p of [...this.dirtyRemote]) {
        yield;
        const knownRev = this.remoteTree.get(p)?.rev ?? 0;
        let m: ServerFile | undefined;
        try {
          m = this.ask(() => this.server.meta(p));
        } catch (err) {
          if (!(err instanceof SimError && err.code === 'not_found')) throw err;
        }
        yield; // the answer is on its way: the feed may overtake it
        // refresh.ts's refreshRemote: the answer goes in by the feed's rule.
        if (m) recordAnswer(this.remoteTree, this.tombstones, p, { size: m.content.length, contentHash: hashOf(m.content), rev: m.rev });
        else recordGone(this.remoteTree, this.tombstones, p, undefined, knownRev);
        this.dirtyRemote.delete(p);
      }
      const actions = plan(this.local, this.remoteTree, index, this.now(), { deviceName: this.name, paths });
      if (actions.length === 0) return;
      const outcomes = new Map<string, Outcome>();
      const touched = new Set<string>();
      const { records, clearing, transfers, deletes } = executionPhases(actions);
      for (const a of [...records, ...clearing, ...transfers, ...deletes]) {
        let outcome: Outcome;
        this.trace(`${a.kind} ${a.path}${'baseRev' in a ? ` base ${a.baseRev}` : ''}`);
        try {
          yield* this.run(a, touched);
          outcome = 'done';
        } catch (err) {
          if (err === LOCAL_CHANGED) outcome = 'localChanged';
          else if (err instanceof SimError && (err.code === 'conflict' || err.code === 'not_found'))
            outcome = 'remoteChanged'; // shared's classify
          else if (err instanceof SimError && err.code === 'offline') outcome = 'retry';
          else throw err;
        }
        outcomes.set(a.path, outcome);
        if (outcome !== 'done') this.trace(`  -> ${outcome}`);
      }
      for (const p of touched) paths.add(p);
      let anyDone = false;
      let retry: unknown;
      for (const [p, o] of outcomes) {
        if (o === 'done') anyDone = true;
        else if (o === 'localChanged') this.dirtyLocal.add(p);
        else if (o === 'remoteChanged') this.dirtyRemote.add(p);
        else retry = p;
      }
      if (retry !== undefined && !anyDone) throw new SimError('offline', `no answer for "${String(retry)}"`);
      if (retry !== undefined) this.passOwed = true; // the simulation retries a failed path with the next full pass
      last = actions;
    }
    // Still not settled after every round: those paths are looked at again (the engine's per-path retry).
    for (const a of last) this.dirtyPlan.add(a.path);
  }

  /** One action, as the executor runs it: the same checks of what is on disk and on the server, at the same points. */
  private *run(a: Action, touched: Set<string>): Generator<void, void, void> {
    const index = this.durable.index;
    switch (a.kind) {
      case 'updateSynced': {
        const l = this.local.get(a.path);
        if (!a.entry || !l) index.delete(a.path);
        else index.set(a.path, { ...l, rev: a.entry.rev ?? 0 });
        return;
      }
      case 'upload': {
        const l = this.local.get(a.path);
        if (!l || l.contentHash !== a.local.contentHash) throw LOCAL_CHANGED;
        yield; // reading the file and sending its blocks
        const content = this.files.get(a.path);
        if (content === undefined || hashOf(content) !== a.local.contentHash) throw LOCAL_CHANGED; // the upload hashes what it sends
        const f = this.ask(() => this.server.commit(a.path, content, a.baseRev));
        yield;
        if (this.mutation === 'unguardedAnswers')
          this.remoteTree.set(a.path, { size: f.content.length, contentHash: hashOf(f.content), rev: f.rev });
        else recordAnswer(this.remoteTree, this.tombstones, a.path, { size: f.content.length, contentHash: hashOf(f.content), rev: f.rev });
        index.set(a.path, { ...l, rev: f.rev });
        return;
      }
      case 'download':
        yield* this.download(a.path, a.remote, a.local ? this.local.get(a.path) : undefined, a.local !== undefined);
        return;
      case 'conflict':
        this.moveAside(a.path, a.conflictPath, a.local, touched);
        yield* this.download(a.path, a.remote, undefined, false);
        return;
      case 'moveAside':
        this.moveAside(a.path, a.conflictPath, a.local, touched);
        return;
      case 'downloadAside':
        throw new Error('downloadAside: file/folder clashes are not simulated yet');
      case 'deleteRemote': {
        if (this.files.has(a.path)) throw LOCAL_CHANGED;
        yield;
        let rev: number | undefined;
        try {
          rev = this.ask(() => this.server.delete(a.path, a.baseRev));
        } catch (err) {
          if (!(err instanceof SimError && err.code === 'not_found')) throw err;
        }
        yield;
        recordGone(this.remoteTree, this.tombstones, a.path, rev, a.baseRev);
        index.delete(a.path);
        return;
      }
      case 'deleteLocal': {
        const l = this.local.get(a.path);
        if (l && l.contentHash !== a.local.contentHash) throw LOCAL_CHANGED;
        // deleteLocalFile: only the file the plan saw (or none) is removed.
        const c = this.files.get(a.path);
        if (c !== undefined && (l === undefined || hashOf(c) !== l.contentHash)) throw LOCAL_CHANGED;
        this.files.delete(a.path);
        this.local.delete(a.path);
        index.delete(a.path);
        return;
      }
    }
  }

  private moveAside(path: string, conflictPath: string, planned: TreeEntry, touched: Set<string>): void {
    const l = this.local.get(path);
    if (!l || l.contentHash !== planned.contentHash) throw LOCAL_CHANGED;
    const c = this.files.get(path);
    if (c === undefined || hashOf(c) !== l.contentHash || this.files.has(conflictPath)) throw LOCAL_CHANGED;
    this.files.delete(path);
    this.files.set(conflictPath, c);
    this.local.delete(path);
    this.local.set(conflictPath, l);
    touched.add(conflictPath);
    this.log.push(`conflict ${path} -> ${conflictPath}`);
  }

  private *download(path: string, want: TreeEntry, expect: TreeEntry | undefined, hadLocal: boolean): Generator<void, void, void> {
    if (hadLocal && !expect) throw LOCAL_CHANGED;
    const r = this.remoteTree.get(path);
    if (!r || r.contentHash !== want.contentHash) throw new SimError('conflict', `"${path}" changed on the server since the plan.`);
    yield;
    const f = this.ask(() => this.server.meta(path)); // the download: what the server has now
    if (hashOf(f.content) !== want.contentHash) throw new SimError('conflict', 'hash_mismatch'); // the bytes are checked against the plan's hash
    yield;
    // writeFileSafely: renamed over the target only if it is still what the plan saw (nothing, when nothing was there).
    const now = this.files.get(path);
    if (
      this.mutation !== 'blindWrites' &&
      (expect === undefined ? now !== undefined : now === undefined || hashOf(now) !== expect.contentHash)
    )
      throw LOCAL_CHANGED;
    // A file above it in the way (not simulated: the scenario keeps file and folder names apart).
    this.files.set(path, f.content);
    const e = entryOf(f.content);
    this.local.set(path, e);
    this.durable.index.set(path, { ...e, rev: r.rev });
  }
}

const LOCAL_CHANGED = new Error('local changed');

/** unguardedAnswers: server answers overwrite the tree whatever the feed brought meanwhile; blindWrites: a download writes over whatever is on disk. */
export type Mutation = 'unguardedAnswers' | 'blindWrites';

function entryOf(content: string): TreeEntry {
  return { size: content.length, contentHash: hashOf(content) };
}
