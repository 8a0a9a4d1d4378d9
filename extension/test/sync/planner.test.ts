// The planner against a table of cases and against thousands of random edit sequences on both sides, checked by a small model.
import assert from 'node:assert/strict';
import { ancestorsOf, executionPhases, plan, type Action, type TreeEntry } from '../../src/sync/planner';
import { conflictedCopyPath, isConflictedCopy } from '../../src/sync/conflict';

const NOW = Date.UTC(2026, 10, 26, 8, 15);
const OPTS = { deviceName: 'laptop' };

function e(hash: string, rev?: number): TreeEntry {
  return { size: hash.length, contentHash: hash, ...(rev !== undefined ? { rev } : {}) };
}
function tree(entries: Record<string, TreeEntry>): Map<string, TreeEntry> {
  return new Map(Object.entries(entries));
}

describe('planner: one path, every combination', () => {
  const cases: { name: string; l?: TreeEntry; r?: TreeEntry; s?: TreeEntry; want: Action['kind'][] }[] = [
    { name: 'nothing anywhere', want: [] },
    { name: 'in sync', l: e('a'), r: e('a', 1), s: e('a', 1), want: [] },
    { name: 'new local file', l: e('a'), want: ['upload'] },
    { name: 'new remote file', r: e('a', 1), want: ['download'] },
    { name: 'same new file on both sides', l: e('a'), r: e('a', 1), want: ['updateSynced'] },
    { name: 'different new file on both sides', l: e('a'), r: e('b', 1), want: ['conflict'] },
    { name: 'local edit', l: e('b'), r: e('a', 1), s: e('a', 1), want: ['upload'] },
    { name: 'remote edit', l: e('a'), r: e('b', 2), s: e('a', 1), want: ['download'] },
    { name: 'same edit on both sides', l: e('b'), r: e('b', 2), s: e('a', 1), want: ['updateSynced'] },
    { name: 'different edits on both sides', l: e('b'), r: e('c', 2), s: e('a', 1), want: ['conflict'] },
    { name: 'local delete', r: e('a', 1), s: e('a', 1), want: ['deleteRemote'] },
    { name: 'remote delete', l: e('a'), s: e('a', 1), want: ['deleteLocal'] },
    { name: 'deleted on both sides', s: e('a', 1), want: ['updateSynced'] },
    { name: 'local delete, remote edit: the edit wins', r: e('b', 2), s: e('a', 1), want: ['download'] },
    { name: 'local edit, remote delete: the edit wins', l: e('b'), s: e('a', 1), want: ['upload'] },
    { name: 'remote revision moved without a content change', l: e('a'), r: e('a', 5), s: e('a', 1), want: ['updateSynced'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const t = (x?: TreeEntry) => tree(x ? { 'f.txt': x } : {});
      const actions = plan(t(c.l), t(c.r), t(c.s), NOW, OPTS);
      assert.deepEqual(
        actions.map((a) => a.kind),
        c.want,
      );
    });
  }

  it('uploads against the current remote revision, and a local edit over a remote delete as a new file', () => {
    const [up] = plan(tree({ f: e('b') }), tree({ f: e('a', 7) }), tree({ f: e('a', 7) }), NOW, OPTS);
    assert.deepEqual(up, { kind: 'upload', path: 'f', local: e('b'), baseRev: 7 });
    const [fresh] = plan(tree({ f: e('b') }), tree({}), tree({ f: e('a', 3) }), NOW, OPTS);
    assert.deepEqual(fresh, { kind: 'upload', path: 'f', local: e('b'), baseRev: null });
  });

  it('names conflicted copies clearly, keeps the extension and never reuses a taken name', () => {
    const local = tree({ 'docs/report.pdf': e('b'), 'docs/report (conflicted copy from laptop 2026-11-26 0815).pdf': e('z') });
    const actions = plan(local, tree({ 'docs/report.pdf': e('c', 2) }), tree({ 'docs/report.pdf': e('a', 1) }), NOW, {
      deviceName: 'laptop',
      paths: ['docs/report.pdf'],
    });
    assert.equal(actions.length, 1);
    const a = actions[0]!;
    assert.equal(a.kind, 'conflict');
    if (a.kind !== 'conflict') return;
    // The local clock decides the stamp; the test pins the pattern rather than the time zone.
    assert.match(a.conflictPath, /^docs\/report \(conflicted copy from laptop \d{4}-\d{2}-\d{2} \d{4}( 2)?\)\.pdf$/);
    assert.ok(isConflictedCopy(a.conflictPath));
    assert.equal(conflictedCopyPath('.bashrc', 'a/b:c', NOW, () => false).startsWith('.bashrc (conflicted copy from a-b-c '), true);
  });

  it('looks only at the paths it is given', () => {
    const actions = plan(tree({ a: e('1'), b: e('2') }), tree({}), tree({}), NOW, { ...OPTS, paths: ['b'] });
    assert.deepEqual(
      actions.map((a) => a.path),
      ['b'],
    );
  });
});

// ---- Randomised sequences against a model --------------------------------------------------------

/** A small deterministic PRNG (mulberry32) so each failing case replays from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface World {
  local: Map<string, string>; // path -> content (content = a unique version name)
  remote: Map<string, { content: string; rev: number }>;
  synced: Map<string, TreeEntry>;
  rev: number;
  version: number;
  killed: Set<string>; // versions a person overwrote or deleted on purpose
  created: Set<string>;
  conflicts: number;
  /** Files kept aside because a folder took their name (moveAside, downloadAside). */
  shapeConflicts: number;
}

const entryOf = (content: string, rev?: number): TreeEntry => ({
  size: content.length,
  contentHash: content,
  ...(rev !== undefined ? { rev } : {}),
});

function localTree(w: World): Map<string, TreeEntry> {
  return new Map([...w.local].map(([p, c]) => [p, entryOf(c)]));
}
function remoteTree(w: World): Map<string, TreeEntry> {
  return new Map([...w.remote].map(([p, v]) => [p, entryOf(v.content, v.rev)]));
}

// 'dir', 'dir/sub' and 'x' are also files' names: a file replaced by a folder of the same name and the other way round.
const NAMES = ['a.txt', 'b.txt', 'dir/c.txt', 'dir/d.bin', 'dir/sub/e', 'f', 'dir', 'dir/sub', 'x', 'x/inner'];

/** A path `p` clashes with what `tree` holds: a file above it, or files below it. */
function shapeClash(tree: ReadonlyMap<string, unknown>, p: string): boolean {
  if (ancestorsOf(p).some((up) => tree.has(up))) return true;
  for (const k of tree.keys()) if (k.startsWith(`${p}/`)) return true;
  return false;
}

/** What a person's write at `p` removes first, as a file system (or the website) would: a file above it, or the folder it replaces. */
function inTheWay(tree: ReadonlyMap<string, unknown>, p: string): string[] {
  return [...tree.keys()].filter((k) => k.startsWith(`${p}/`) || ancestorsOf(p).includes(k));
}

/** One thing a person does on one side: create, edit, delete or rename. */
function personActs(w: World, next: () => number, side: 'local' | 'remote'): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
  const present = side === 'local' ? [...w.local.keys()] : [...w.remote.keys()];
  const get = (p: string) => (side === 'local' ? w.local.get(p) : w.remote.get(p)?.content);
  const set = (p: string, c: string) => {
    // rm x; mkdir x; echo > x/inner, or rm -rf x; echo > x: what was in the way is deleted on purpose.
    for (const k of inTheWay(side === 'local' ? w.local : w.remote, p)) {
      w.killed.add(get(k)!);
      del(k);
    }
    if (side === 'local') w.local.set(p, c);
    else w.remote.set(p, { content: c, rev: ++w.rev });
  };
  const del = (p: string) => (side === 'local' ? w.local.delete(p) : w.remote.delete(p));
  const fresh = () => {
    const v = `${side[0]}${++w.version}`;
    w.created.add(v);
    return v;
  };
  const op = next();
  if (op < 0.35 || present.length === 0) {
    const p = pick([...NAMES, ...present]);
    const old = get(p);
    if (old !== undefined) w.killed.add(old);
    set(p, fresh());
    return `${side} write ${p}`;
  }
  const p = pick(present);
  if (op < 0.6) {
    w.killed.add(get(p)!);
    del(p);
    return `${side} delete ${p}`;
  }
  // Rename: the content moves; whatever sat at the target is overwritten on purpose.
  // A rename onto a copy of the same bytes looks, on disk, exactly like deleting the source, and so does,
  // locally, moving the bytes back where the last sync saw them (the server tells those apart by revision).
  const content = get(p)!;
  const targets = NAMES.filter((n) => n !== p && get(n) !== content && !(side === 'local' && w.synced.get(n)?.contentHash === content));
  if (targets.length === 0) return `${side} nothing`;
  const to = pick(targets);
  const old = get(to);
  if (old !== undefined) w.killed.add(old);
  del(p);
  set(to, content);
  return `${side} rename ${p} -> ${to}`;
}

/** Runs one action the way the executor does: every precondition re-checked, a failed one skipped (false). */
function execute(w: World, a: Action): boolean {
  const localIs = (p: string, want: TreeEntry | undefined) => (want ? w.local.get(p) === want.contentHash : !w.local.has(p));
  switch (a.kind) {
    case 'upload': {
      if (!localIs(a.path, a.local)) return false; // edited since the plan
      const cur = w.remote.get(a.path);
      if ((cur?.rev ?? null) !== a.baseRev) return false; // 409: someone else changed it
      if (shapeClash(w.remote, a.path)) return false; // 409: a file above it, or a folder with files here
      const rev = ++w.rev;
      w.remote.set(a.path, { content: a.local.contentHash, rev });
      w.synced.set(a.path, { ...a.local, rev });
      return true;
    }
    case 'deleteRemote': {
      if (!localIs(a.path, undefined)) return false;
      if (w.remote.get(a.path)?.rev !== a.baseRev) return false;
      w.remote.delete(a.path);
      w.synced.delete(a.path);
      return true;
    }
    case 'download': {
      if (!localIs(a.path, a.local)) return false;
      const cur = w.remote.get(a.path);
      if (!cur || cur.content !== a.remote.contentHash) return false; // the bytes fetched would not match the plan
      // A file above it (checkParents: not a folder), or a folder here (the target is not what the plan saw).
      if (shapeClash(w.local, a.path)) return false;
      w.local.set(a.path, cur.content);
      w.synced.set(a.path, entryOf(cur.content, cur.rev));
      return true;
    }
    case 'deleteLocal': {
      if (!localIs(a.path, a.local)) return false;
      w.local.delete(a.path);
      w.synced.delete(a.path);
      return true;
    }
    case 'conflict':
    case 'moveAside': {
      if (!localIs(a.path, a.local) || w.local.has(a.conflictPath)) return false;
      w.local.set(a.conflictPath, w.local.get(a.path)!);
      w.local.delete(a.path);
      if (a.kind === 'conflict') w.conflicts++;
      else w.shapeConflicts++;
      if (a.kind === 'conflict') execute(w, { kind: 'download', path: a.path, remote: a.remote });
      return true;
    }
    case 'downloadAside': {
      const cur = w.remote.get(a.path);
      if (!cur || cur.content !== a.remote.contentHash || cur.rev !== a.remote.rev) return false;
      // Only a folder here makes room: a file there, or nothing at all, is planned afresh.
      if (w.local.has(a.path) || !shapeClash(w.local, a.path) || w.local.has(a.conflictPath)) return false;
      if (ancestorsOf(a.path).some((up) => w.local.has(up))) return false;
      w.local.set(a.conflictPath, cur.content);
      w.synced.set(a.path, entryOf(cur.content, cur.rev));
      w.shapeConflicts++;
      return true;
    }
    case 'updateSynced':
      if (a.entry) w.synced.set(a.path, a.entry);
      else w.synced.delete(a.path);
      return true;
  }
}

/** The executor's order (records, deletes that clear the way, transfers, other deletes); `skip` says which actions never run. */
function executeAll(w: World, actions: readonly Action[], between: (a: Action) => 'run' | 'skip'): void {
  const phases = executionPhases(actions);
  for (const a of phases.records) execute(w, a);
  const blocked: string[] = [];
  for (const a of phases.clearing) if (between(a) === 'skip' || !execute(w, a)) blocked.push(a.path);
  const isBlocked = (p: string) => blocked.some((b) => b === p || p.startsWith(`${b}/`) || b.startsWith(`${p}/`));
  for (const a of phases.transfers) if (!isBlocked(a.path) && between(a) === 'run') execute(w, a);
  for (const a of phases.deletes) if (between(a) === 'run') execute(w, a);
}

function runScenario(seed: number): { steps: string[]; world: World } {
  const next = rng(seed);
  const w: World = {
    local: new Map(),
    remote: new Map(),
    synced: new Map(),
    rev: 0,
    version: 0,
    killed: new Set(),
    created: new Set(),
    conflicts: 0,
    shapeConflicts: 0,
  };
  const steps: string[] = [];
  const rounds = 1 + Math.floor(next() * 12);
  for (let round = 0; round < rounds; round++) {
    const edits = Math.floor(next() * 4);
    for (let i = 0; i < edits; i++) steps.push(personActs(w, next, next() < 0.5 ? 'local' : 'remote'));
    // A sync pass that may be cut short (crash, network) and raced by people editing between plan and execution.
    const actions = plan(localTree(w), remoteTree(w), w.synced, NOW, OPTS);
    executeAll(w, actions, () => {
      const r = next();
      if (r < 0.1) steps.push(personActs(w, next, next() < 0.5 ? 'local' : 'remote'));
      return r > 0.85 ? 'skip' : 'run'; // this action never ran
    });
    steps.push(`sync (${actions.map((a) => `${a.kind} ${a.path}`).join(', ')})`);
  }
  // Quiet now: passes until there is nothing left to do.
  for (let pass = 0; ; pass++) {
    const actions = plan(localTree(w), remoteTree(w), w.synced, NOW, OPTS);
    if (actions.length === 0) break;
    if (pass > 5) throw new Error(`no convergence: ${actions.map((a) => `${a.kind} ${a.path}`).join(', ')}`);
    steps.push(`final sync (${actions.map((a) => `${a.kind} ${a.path}`).join(', ')})`);
    executeAll(w, actions, () => 'run');
  }
  return { steps, world: w };
}

function checkEndState(w: World): void {
  const local = [...w.local].sort();
  const remote = [...w.remote].map(([p, v]) => [p, v.content] as const).sort();
  assert.deepEqual(local, remote, 'local and remote differ after sync');
  for (const [p] of local) assert.ok(!shapeClash(w.local, p), `${p} is a file and a folder`);
  const synced = [...w.synced].map(([p, v]) => [p, v.contentHash] as const).sort();
  assert.deepEqual(synced, remote, 'the synced tree does not match what both sides hold');
  for (const [p, v] of w.synced) assert.equal(v.rev, w.remote.get(p)!.rev, `stale revision recorded for ${p}`);
  // No update lost: every version nobody overwrote or deleted on purpose is still somewhere.
  const present = new Set(w.local.values());
  for (const v of w.created) {
    if (!w.killed.has(v)) assert.ok(present.has(v), `version ${v} was lost`);
  }
}

describe('planner: random edits on both sides against a model', () => {
  const base = Number(process.env.PLANNER_SEED ?? Date.now() % 1_000_000);
  const count = Number(process.env.PLANNER_RUNS ?? (process.env.PLANNER_SEED ? 1 : 3000));

  it(`converges without losing an edit (${count} scenarios from seed ${base})`, () => {
    let conflicts = 0;
    let shapeConflicts = 0;
    for (let i = 0; i < count; i++) {
      const seed = base + i;
      let result: { steps: string[]; world: World } | undefined;
      try {
        result = runScenario(seed);
        checkEndState(result.world);
        conflicts += result.world.conflicts;
        shapeConflicts += result.world.shapeConflicts;
      } catch (err) {
        const steps = result?.steps.join('\n  ') ?? '(failed while running)';
        throw new Error(`Scenario failed; replay with PLANNER_SEED=${seed}\n  ${steps}\n${(err as Error).message}`);
      }
    }
    // The generator must actually reach the interesting branch.
    if (count > 1) assert.ok(conflicts > 50, `only ${conflicts} conflicts generated`);
    if (count > 1) assert.ok(shapeConflicts > 20, `only ${shapeConflicts} file/folder clashes generated`);
  });
});
