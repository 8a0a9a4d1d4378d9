// A server's answer about one path and the change feed can arrive in either order (two connections): whichever
// is older must not roll the other back. Found by the simulator (docs/sync.md): seeds 1387233452 and 1650867528.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { Change } from '@mydropbox/shared';
import { applyChanges, recordAnswer, recordGone } from '../../src/sync/changeFeed';
import { plan } from '../../src/sync/planner';
import type { RemoteEntry } from '../../src/sync/executor';
import { applySnapshot } from '../../src/sync/remoteTree';
import { CompactTree } from '../../src/sync/compactTree';
import { EngineState } from '../../src/sync/engineState';
import { applyFeedAnswer } from '../../src/sync/feedFollower';

const hash = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const put = (path: string, rev: number, content: string): Change => ({
  path,
  rev,
  deleted: false,
  size: content.length,
  contentHash: hash(content),
  modifiedAt: 0,
});
const gone = (path: string, rev: number): Change => ({ path, rev, deleted: true, size: 0, contentHash: '', modifiedAt: 0 });
const entry = (rev: number, content: string): RemoteEntry => ({ size: content.length, contentHash: hash(content), rev, mtime: 0 });

describe('server answers and the change feed, in either order', () => {
  it("keeps another device's newer revision when our commit's answer comes after the feed (seed 1387233452), and then plans its download", () => {
    const tree = new Map<string, RemoteEntry>();
    const tombstones = new Map<string, number>();
    // Our upload committed "mine" as rev 1; the website wrote "theirs" as rev 2; the feed carried both before our answer came.
    applyChanges([put('b/x', 1, 'mine'), put('b/x', 2, 'theirs')], tree, tombstones);
    recordAnswer(tree, tombstones, 'b/x', entry(1, 'mine'));
    assert.equal(tree.get('b/x')?.rev, 2);
    const synced = new Map([['b/x', entry(1, 'mine')]]);
    const local = new Map([['b/x', { size: 4, contentHash: hash('mine') }]]);
    const actions = plan(local, tree, synced, 0, { deviceName: 'd0' });
    assert.deepEqual(
      actions.map((a) => `${a.kind} ${a.path}`),
      ['download b/x'],
    );
  });

  it('takes an answer newer than what the tree holds', () => {
    const tree = new Map<string, RemoteEntry>([['x', entry(3, 'old')]]);
    const tombstones = new Map<string, number>();
    recordAnswer(tree, tombstones, 'x', entry(4, 'new'));
    assert.deepEqual(tree.get('x'), entry(4, 'new'));
    recordGone(tree, tombstones, 'x', 5, 4);
    assert.equal(tree.has('x'), false);
    assert.equal(tombstones.get('x'), 5);
    // An older entry after the delete does not bring the file back.
    recordAnswer(tree, tombstones, 'x', entry(4, 'new'));
    assert.equal(tree.has('x'), false);
  });

  it("keeps a file made again elsewhere when our delete's answer comes after the feed", () => {
    const tree = new Map<string, RemoteEntry>([['x', entry(1, 'a')]]);
    const tombstones = new Map<string, number>();
    applyChanges([gone('x', 2), put('x', 3, 'again')], tree, tombstones);
    recordGone(tree, tombstones, 'x', 2, 1);
    assert.deepEqual(tree.get('x'), entry(3, 'again'));
  });

  it('keeps a newer revision when a read that found nothing is answered after the feed (seed 1650867528)', () => {
    // A download failed (the file was deleted at rev 4), so the path is read again; before that answer (not found)
    // came, the feed brought the delete and a new file at rev 5.
    const tree = new Map<string, RemoteEntry>([['b/x', entry(1, 'first')]]);
    const tombstones = new Map<string, number>();
    const knownWhenAsked = tree.get('b/x')!.rev;
    applyChanges([gone('b/x', 4), put('b/x', 5, 'second')], tree, tombstones);
    recordGone(tree, tombstones, 'b/x', undefined, knownWhenAsked);
    assert.deepEqual(tree.get('b/x'), entry(5, 'second'));
    // And a read that found an older revision does not replace it either.
    recordAnswer(tree, tombstones, 'b/x', entry(1, 'first'));
    assert.deepEqual(tree.get('b/x'), entry(5, 'second'));
  });

  it('forgets a file a read found gone when nothing newer came meanwhile', () => {
    const tree = new Map<string, RemoteEntry>([['y', entry(2, 'y')]]);
    recordGone(tree, new Map(), 'y', undefined, 2);
    assert.equal(tree.has('y'), false);
  });

  it('keeps a file gone when a listing older than the delete the feed brought arrives after it (engine simulator, SIM_SEED=2)', () => {
    // A full pass asked for the listing (y at rev 2); before its answer came, the feed applied y's delete at rev 5.
    const tree = new CompactTree<RemoteEntry>();
    const tombstones = new Map<string, number>();
    tree.set('y', entry(2, 'y'));
    applyChanges([gone('y', 5)], tree, tombstones);
    applySnapshot(
      {
        cursor: '4',
        files: [
          { path: 'y', ...entry(2, 'y'), modifiedAt: 0 },
          { path: 'z', ...entry(3, 'z'), modifiedAt: 0 },
        ],
      },
      tree,
      tombstones,
      new CompactTree(),
    );
    assert.equal(tree.has('y'), false);
    assert.equal(tree.get('z')?.rev, 3);
    // The feed replayed from the listing's cursor brings the delete again: still gone.
    applyChanges([gone('y', 5)], tree, tombstones);
    assert.equal(tree.has('y'), false);
  });

  it('keeps a file gone when a feed replay over the synced tree arrives after the delete (a first pass after a feed reset)', () => {
    const synced = new CompactTree<RemoteEntry>();
    synced.set('y', entry(2, 'y'));
    const tree = new CompactTree<RemoteEntry>();
    const tombstones = new Map<string, number>([['y', 5]]);
    applySnapshot({ cursor: '4', since: [gone('y', 5)] }, tree, tombstones, synced);
    assert.equal(tree.has('y'), false);
  });

  it('takes a listing entry newer than a delete the feed brought (made again since)', () => {
    const tree = new CompactTree<RemoteEntry>();
    const tombstones = new Map<string, number>([['y', 5]]);
    applySnapshot({ cursor: '9', files: [{ path: 'y', ...entry(8, 'again'), modifiedAt: 0 }] }, tree, tombstones, new CompactTree());
    assert.equal(tree.get('y')?.rev, 8);
  });

  it('drops a feed answer whose poll was sent from a cursor a listing replaced meanwhile (engine simulator, SIM_SEED=1923462927)', () => {
    const s = new EngineState({
      folder: '/nowhere',
      stateDir: '/nowhere/state',
      session: { serverUrl: 'http://127.0.0.1:9', getAccessToken: async () => ({ accessToken: 't', dataServerUrl: 'http://127.0.0.1:9' }) },
    });
    // The feed had reached 2 (x made at rev 2) and polled on from there; a full pass's listing taken at 1, before x, then
    // replaced the tree and the cursor. The poll's answer (nothing after 2) must not move the cursor past x.
    s.cursor = '1';
    applyFeedAnswer(s, '2', { changes: [], cursor: '2' });
    assert.equal(s.cursor, '1');
    // The next poll, from the listing's cursor, brings x.
    applyFeedAnswer(s, '1', { changes: [put('x', 2, 'theirs')], cursor: '2' });
    assert.equal(s.cursor, '2');
    assert.equal(s.remoteTree.get('x')?.rev, 2);
    assert.deepEqual([...s.dirtyPlan], ['x']);
  });
});
