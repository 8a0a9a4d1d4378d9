// Ties CompactTree.inSync (the engine's and the decorations' fast "nothing to do" test on raw columns)
// to the planner's own rule, over generated trees: they must never disagree.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CompactTree, type CompactEntry } from '../../src/sync/compactTree';
import { plan, type TreeEntry } from '../../src/sync/planner';

const HASHES = ['a', 'b', 'c'].map((c) => c.repeat(64));
const PATHS = ['x.txt', 'd/y.txt', 'd/e/z.bin', 'w'];

const entry = (withRev: boolean) =>
  fc.record({
    size: fc.integer({ min: 0, max: 3 }),
    mtime: fc.integer({ min: 0, max: 2 }),
    contentHash: fc.constantFrom(...HASHES),
    ...(withRev ? { rev: fc.integer({ min: 1, max: 3 }) } : {}),
  }) as fc.Arbitrary<CompactEntry>;

/** A tree over the fixed paths: each path present or not. Local entries have no revision; the server's and the synced ones do. */
const tree = (withRev: boolean) => fc.tuple(...PATHS.map(() => fc.option(entry(withRev), { nil: undefined })));

function compact(entries: (CompactEntry | undefined)[]): CompactTree<CompactEntry> {
  const t = new CompactTree<CompactEntry>();
  entries.forEach((e, i) => e && t.set(PATHS[i]!, e));
  return t;
}

function asTree(entries: (CompactEntry | undefined)[]): Map<string, TreeEntry> {
  const m = new Map<string, TreeEntry>();
  entries.forEach((e, i) => e && m.set(PATHS[i]!, e));
  return m;
}

describe('inSync and the planner', () => {
  it('inSync(p) holds exactly when the plan for p is empty, for every path held by any tree', () => {
    fc.assert(
      fc.property(tree(false), tree(true), tree(true), (l, r, s) => {
        const [local, remote, synced] = [compact(l), compact(r), compact(s)];
        for (let i = 0; i < PATHS.length; i++) {
          const p = PATHS[i]!;
          if (!l[i] && !r[i] && !s[i]) continue;
          const actions = plan(asTree(l), asTree(r), asTree(s), 0, { deviceName: 'dev', paths: [p] }).filter((a) => a.path === p);
          assert.equal(CompactTree.inSync(p, local, remote, synced), actions.length === 0, `${p}: ${JSON.stringify(actions)}`);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('a tree changed after the comparison is compared again (no stale answer)', () => {
    fc.assert(
      fc.property(entry(false), entry(true), fc.constantFrom(...HASHES), (l, r, other) => {
        const local = compact([{ ...l, contentHash: r.contentHash }]);
        const remote = compact([r]);
        const synced = compact([r]);
        assert.ok(CompactTree.inSync('x.txt', local, remote, synced));
        remote.set('x.txt', { ...r, contentHash: other, rev: (r.rev ?? 0) + 1 });
        assert.ok(!CompactTree.inSync('x.txt', local, remote, synced));
      }),
      { numRuns: 200 },
    );
  });
});
