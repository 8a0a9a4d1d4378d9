// The compact trees (W6 memory) against a plain Map as the model, and the index journal read in chunks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { CompactTree, type CompactEntry } from '../../src/sync/compactTree';
import { SyncedIndex, type SyncedEntry } from '../../src/sync/syncedIndex';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** A synced entry made from one number (its size, mtime, inode and content), at revision `rev`. */
const entry = (n: number, rev = n): SyncedEntry => ({ size: n, mtime: n, ino: n, contentHash: hex(String(n)), rev, blocks: [] });

/** Runs `test` on a fresh state folder, removed afterwards. */
function withStateDir(prefix: string, test: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    test(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31), x / 2 ** 31);
}

function randomEntry(r: () => number, i: number): CompactEntry {
  const kind = Math.floor(r() * 8);
  const blocks = kind === 0 ? [] : Array.from({ length: kind < 5 ? 1 : kind - 3 }, (_, b) => hex(`${i}/${b}`));
  const e: CompactEntry = { size: Math.floor(r() * 1e10), contentHash: hex(String(i)) };
  if (kind !== 1) e.mtime = 1.7e12 + r() * 1e6; // sub-millisecond part kept exactly
  if (kind !== 2) e.ino = Math.floor(r() * 2 ** 52); // past 32 bits, as inodes are
  if (kind !== 3) e.rev = Math.floor(r() * 1e6);
  if (kind !== 4) e.blocks = blocks;
  if (kind === 6) e.contentHash = 'not-a-hash'; // whatever a misbehaving server sends comes back as it was
  if (kind === 7) e.blocks = [hex('x').toUpperCase(), 'zz'];
  return e;
}

describe('compact trees', () => {
  it('gives back exactly what was stored, through sets, overwrites, deletes, slot reuse and clear', () => {
    const r = rng(42);
    const model = new Map<string, CompactEntry>();
    const tree = new CompactTree<CompactEntry>();
    for (let step = 0; step < 20_000; step++) {
      const p = `d${Math.floor(r() * 30)}/é${Math.floor(r() * 100)}`;
      if (r() < 0.3) assert.equal(tree.delete(p), model.delete(p));
      else {
        const e = randomEntry(r, step);
        model.set(p, e);
        tree.set(p, e);
      }
      if (step === 15_000) {
        model.clear();
        tree.clear();
      }
    }
    assert.equal(tree.size, model.size);
    for (const [p, e] of model) assert.deepEqual(tree.get(p), e, p);
    assert.deepEqual(new Set(tree.keys()), new Set(model.keys()));
    assert.deepEqual(new Map(tree), model);
    assert.equal([...tree.values()].length, model.size);
    let seen = 0;
    tree.forEach((e, p) => (assert.deepEqual(e, model.get(p)), seen++));
    assert.equal(seen, model.size);
    assert.equal(tree.get('missing'), undefined);
    assert.equal(tree.has('missing'), false);
    assert.equal(tree.delete('missing'), false);
  });

  it('compares and copies on the raw columns exactly as on the entries', () => {
    const synced = new CompactTree<CompactEntry>();
    const local = new CompactTree<CompactEntry>();
    const remote = new CompactTree<CompactEntry>();
    synced.reserve(3);
    synced.set('a', { size: 3, mtime: 1000.25, ino: 7, rev: 4, contentHash: hex('a'), blocks: [hex('ab')] });
    synced.set('odd', { size: 1, mtime: 5, ino: 8, rev: 2, contentHash: 'ODD', blocks: ['x'] });
    remote.resetToRemoteView(synced);
    assert.deepEqual(remote.get('a'), { size: 3, mtime: 1000, rev: 4, contentHash: hex('a') });
    assert.deepEqual(remote.get('odd'), { size: 1, mtime: 5, rev: 2, contentHash: 'ODD' });
    assert.ok(CompactTree.sameContentAndRevisions(remote, synced));
    remote.set('a', { size: 3, rev: 5, contentHash: hex('a') });
    assert.ok(!CompactTree.sameContentAndRevisions(remote, synced), 'another revision');
    remote.set('a', { size: 3, rev: 4, contentHash: hex('b') });
    assert.ok(!CompactTree.sameContentAndRevisions(remote, synced), 'another content');
    remote.set('a', { size: 3, rev: 4, contentHash: hex('a') });
    remote.set('extra', { size: 0, rev: 1, contentHash: hex('') });
    assert.ok(!CompactTree.sameContentAndRevisions(remote, synced), 'another path');
    remote.delete('extra');

    const st = { size: 3, mtimeMs: 1000.25, ino: 7, ctimeMs: 0 };
    assert.equal(synced.copyIfSameStat('a', { ...st, mtimeMs: 1000.5 }, local), false);
    assert.equal(synced.copyIfSameStat('a', { ...st, ino: 9 }, local), false);
    assert.equal(synced.copyIfSameStat('missing', st, local), false);
    assert.equal(local.size, 0);
    assert.equal(synced.copyIfSameStat('a', st, local), true);
    assert.deepEqual(local.get('a'), { size: 3, mtime: 1000.25, ino: 7, contentHash: hex('a'), blocks: [hex('ab')] });
    assert.ok(CompactTree.inSync('a', local, remote, synced));
    remote.set('a', { size: 3, rev: 5, contentHash: hex('a') });
    assert.ok(!CompactTree.inSync('a', local, remote, synced), 'the server moved on');
    remote.set('a', { size: 3, rev: 4, contentHash: hex('a') });
    local.set('a', { size: 3, mtime: 1, ino: 7, contentHash: hex('edited'), blocks: [] });
    assert.ok(!CompactTree.inSync('a', local, remote, synced), 'edited here');
    assert.ok(!CompactTree.inSync('odd', local, remote, synced), 'not here at all');
  });

  it('forgets a remembered "same" as soon as either tree changes, and copies a tree with free slots whole', () => {
    const synced = new CompactTree<CompactEntry>();
    for (let i = 0; i < 10; i++)
      synced.set(`f${i}`, { size: i, mtime: i + 0.5, ino: i, rev: i + 1, contentHash: hex(`c${i}`), blocks: [hex(`b${i}`)] });
    synced.delete('f3');
    synced.delete('f7'); // free slots in the middle
    const remote = new CompactTree<CompactEntry>();
    remote.resetToRemoteView(synced);
    assert.equal(remote.size, 8);
    assert.equal(remote.has('f3'), false);
    assert.deepEqual(remote.get('f4'), { size: 4, mtime: 5, rev: 5, contentHash: hex('c4') });
    assert.ok(CompactTree.sameContentAndRevisions(remote, synced));
    assert.ok(CompactTree.sameContentAndRevisions(synced, remote));
    // A change on the synced side, then put back: compared again, not remembered.
    synced.set('f4', { size: 4, mtime: 1, ino: 4, rev: 9, contentHash: hex('c4'), blocks: [] });
    assert.ok(!CompactTree.sameContentAndRevisions(remote, synced));
    synced.set('f4', { size: 4, mtime: 1, ino: 4, rev: 5, contentHash: hex('c4'), blocks: [] });
    assert.ok(CompactTree.sameContentAndRevisions(remote, synced));
    // The remote tree reuses the copied free slots for new paths without disturbing the others.
    remote.set('n1', { size: 1, rev: 1, contentHash: hex('n1') });
    remote.set('n2', { size: 2, rev: 2, contentHash: hex('n2') });
    remote.set('n3', { size: 3, rev: 3, contentHash: hex('n3') });
    assert.ok(!CompactTree.sameContentAndRevisions(synced, remote));
    for (const p of ['n1', 'n2', 'n3']) remote.delete(p);
    assert.ok(CompactTree.sameContentAndRevisions(synced, remote));
    for (let i = 0; i < 10; i++) if (i !== 3 && i !== 7) assert.equal(remote.get(`f${i}`)!.contentHash, hex(`c${i}`));
    // A copy into a tree is a change of that tree.
    const local = new CompactTree<CompactEntry>();
    local.resetToRemoteView(synced);
    assert.ok(CompactTree.sameContentAndRevisions(local, synced));
    assert.ok(synced.copyIfSameStat('f5', { size: 5, mtimeMs: 5.5, ino: 5, ctimeMs: 0 }, local));
    assert.ok(!CompactTree.sameContentAndRevisions(local, synced), 'the copy carries no revision');
    remote.clear();
    assert.ok(!CompactTree.sameContentAndRevisions(remote, synced));
  });

  it('hands out copies: changing what get returned does not change the tree', () => {
    const tree = new CompactTree<CompactEntry>();
    tree.set('a', { size: 1, contentHash: hex('a'), blocks: [hex('b')] });
    tree.get('a')!.blocks!.push(hex('c'));
    tree.get('a')!.size = 7;
    assert.deepEqual(tree.get('a'), { size: 1, contentHash: hex('a'), blocks: [hex('b')] });
  });

  it('knows the stored copy of a path, for other trees to share', () => {
    const index = new CompactTree<CompactEntry>();
    index.set('folder/file', { size: 0, contentHash: hex('') });
    const asked: string[] = [];
    const other = new CompactTree<CompactEntry>((p) => (asked.push(p), index.canonical(p)));
    other.set('folder/file', { size: 0, contentHash: hex('') });
    other.set('folder/file', { size: 1, contentHash: hex('') });
    assert.deepEqual(asked, ['folder/file']); // once, when the path is new
    assert.equal(index.canonical('folder/file'), 'folder/file');
    assert.equal(index.canonical('nope'), undefined);
  });

  it('compacts the journal into a snapshot on close, keeping unanswered uploads and the feed cursor', () =>
    withStateDir('mdb-compact-', (dir) => {
      const index = SyncedIndex.open(dir);
      for (let i = 0; i < 1500; i++) index.set(`f${i}`, entry(i, 1));
      for (let i = 0; i < 1500; i++) index.set(`f${i}`, entry(i, 2));
      index.markSending('in-flight', entry(7, 0));
      index.saveCursor('42', 'server-a');
      index.close();
      const lines = fs.readFileSync(path.join(dir, 'index.jsonl'), 'utf8').trim().split('\n');
      assert.equal(lines.length, 2, 'the entries went to the snapshot; the upload and the cursor stay journaled');
      const again = SyncedIndex.open(dir);
      assert.deepEqual(again.cursor, { cursor: '42', server: 'server-a' });
      assert.equal(again.get('f9')!.rev, 2);
      again.settleSending((p) => (p === 'in-flight' ? { contentHash: hex('7'), rev: 5 } : undefined));
      assert.equal(again.get('in-flight')!.rev, 5, 'the upload the server took becomes synced after the compaction');
      again.close();
    }));

  it('settles an unanswered edit of a synced file the server took, and forgets one it did not take', () =>
    withStateDir('mdb-settle-', (dir) => {
      const index = SyncedIndex.open(dir);
      index.set('taken', entry(1, 1));
      index.set('lost', entry(1, 1));
      // Killed after sending both edits: the server committed one, the other never reached it.
      index.markSending('taken', entry(2, 0));
      index.markSending('lost', entry(3, 0));
      index.close();
      const again = SyncedIndex.open(dir);
      const server: Record<string, { contentHash: string; rev: number }> = {
        taken: { contentHash: hex('2'), rev: 2 },
        lost: { contentHash: hex('1'), rev: 1 },
      };
      again.settleSending((p) => server[p]);
      assert.deepEqual(
        again.get('taken'),
        entry(2, 2),
        'the server holds the edit this device sent: it is the synced version, so a later edit here is no conflict',
      );
      assert.deepEqual(again.get('lost'), entry(1, 1), 'the edit never committed: the synced version stays the old one');
      again.close();
      const third = SyncedIndex.open(dir);
      third.settleSending(() => undefined);
      assert.deepEqual(third.get('taken'), entry(2, 2), 'settled for good');
      third.close();
    }));

  it('settles a download that reached its place before a crash, and forgets one that did not', () =>
    withStateDir('mdb-settle-', (dir) => {
      const index = SyncedIndex.open(dir);
      index.set('edited', entry(1, 1));
      // Killed while two downloads went into place: one renamed, one not; and a compaction keeps the marks.
      index.markReceiving('new', { contentHash: hex('4'), rev: 4 });
      index.markReceiving('edited', { contentHash: hex('5'), rev: 5 });
      index.compact();
      index.close();
      const again = SyncedIndex.open(dir);
      const scanned: Record<string, Omit<SyncedEntry, 'rev'>> = { new: { ...entry(4), mtime: 99 }, edited: entry(1) };
      again.settleReceiving((p) => scanned[p]);
      assert.deepEqual(
        again.get('new'),
        { ...entry(4), mtime: 99 },
        'the file here is the download: synced at its revision, with its stat',
      );
      assert.deepEqual(again.get('edited'), entry(1, 1), 'the download never landed: the synced version stays');
      again.close();
      const third = SyncedIndex.open(dir);
      third.settleReceiving(() => undefined);
      assert.deepEqual(third.get('new'), { ...entry(4), mtime: 99 }, 'settled for good');
      third.close();
    }));

  it('reads back a snapshot whose header spans several read pieces, and refuses one cut short', () =>
    withStateDir('mdb-snapshot-', (dir) => {
      const long = 'deep/'.repeat(40); // 200-byte folders: 20,000 paths make a header of about 4 MB
      const index = SyncedIndex.open(dir);
      for (let i = 0; i < 20_000; i++)
        index.set(`${long}f${i}`, {
          size: i,
          mtime: i + 0.5,
          ino: i,
          rev: 3,
          contentHash: hex(String(i)),
          blocks: [hex(`b${i}`), hex('x')],
        });
      index.set('odd', { size: 1, mtime: 1, ino: 1, rev: 1, contentHash: 'not hex', blocks: ['also not'] });
      index.close();
      assert.ok(fs.statSync(path.join(dir, 'index.bin')).size > 3 * (1 << 20));
      const again = SyncedIndex.open(dir);
      assert.equal(again.size, 20_001);
      assert.deepEqual(again.get(`${long}f19999`), {
        size: 19999,
        mtime: 19999.5,
        ino: 19999,
        rev: 3,
        contentHash: hex('19999'),
        blocks: [hex('b19999'), hex('x')],
      });
      assert.deepEqual(again.get('odd')!.blocks, ['also not']);
      again.close();
      const file = path.join(dir, 'index.bin');
      fs.truncateSync(file, fs.statSync(file).size - 1);
      assert.throws(() => SyncedIndex.open(dir));
    }));

  it('keeps journaling cheap while a first sync has tens of thousands of uploads in flight', () =>
    withStateDir('mdb-compact-', (dir) => {
      const index = SyncedIndex.open(dir);
      const started = Date.now();
      for (let i = 0; i < 30_000; i++) index.markSending(`f${i}`, entry(i, 0));
      for (let i = 0; i < 30_000; i++) index.set(`f${i}`, entry(i, 1));
      // Compacting at every append (the unanswered uploads survive it) took minutes here; linear is about a second.
      assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms`);
      index.close();
      const again = SyncedIndex.open(dir);
      assert.equal(again.size, 30_000);
      assert.equal(again.get('f29999')!.rev, 1);
      again.close();
    }));

  it('reads a journal bigger than its read buffer, with multi-byte paths across chunk edges, and skips garbage lines', () =>
    withStateDir('mdb-compact-', (dir) => {
      const state = path.join(dir, 'state');
      const unevenEntry = (n: number): SyncedEntry => ({
        size: n,
        mtime: n + 0.25,
        ino: n,
        contentHash: hex(String(n)),
        rev: n,
        blocks: [hex(`b${n}`)],
      });
      const index = SyncedIndex.open(state);
      for (let i = 0; i < 12_000; i++) index.set(`ünïcødé/${'€'.repeat(i % 7)}${i}`, unevenEntry(i)); // ~3 MB of journal
      const journal = path.join(state, 'index.jsonl');
      assert.ok(fs.statSync(journal).size > 2 * (1 << 20));
      // As a crash would leave it: the whole journal, no snapshot yet (close would compact it into one).
      const kept = fs.readFileSync(journal);
      index.close();
      fs.rmSync(path.join(state, 'index.bin'));
      fs.writeFileSync(journal, kept);
      fs.appendFileSync(journal, 'not json\n\n{"p":"x"\n{"p":"torn","e":{"si');
      const again = SyncedIndex.open(state);
      assert.equal(again.size, 12_000);
      for (const i of [0, 1, 4095, 6000, 11_999]) assert.deepEqual(again.get(`ünïcødé/${'€'.repeat(i % 7)}${i}`), unevenEntry(i));
      assert.equal(again.has('torn'), false);
      again.close();
    }));
});
