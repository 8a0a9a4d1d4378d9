// The local tree as an overlay on the synced index: marks for unchanged files, its own entries for the rest, and pins before the index moves.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { CompactTree, type CompactEntry } from '../../src/sync/compactTree';
import { LocalTree } from '../../src/sync/localTree';
import { SyncedIndex, type SyncedEntry } from '../../src/sync/syncedIndex';
import type { LocalEntry } from '../../src/sync/scanner';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const synced = (i: number, rev = i + 1): SyncedEntry => ({
  size: i,
  mtime: 1000 + i + 0.25,
  ino: 100 + i,
  rev,
  contentHash: hex(`c${i}`),
  blocks: [hex(`b${i}`)],
});
const statOf = (e: { size: number; mtime: number; ino: number }) => ({ size: e.size, mtimeMs: e.mtime, ino: e.ino, ctimeMs: 0 });
const asLocal = ({ rev: _rev, ...e }: SyncedEntry): LocalEntry => e;

describe('local tree overlay', () => {
  it('holds an unchanged file as a mark on its index entry, and everything else as its own entry', () => {
    const base = new CompactTree<SyncedEntry>();
    for (let i = 0; i < 5; i++) base.set(`f${i}`, synced(i));
    const local = new LocalTree(base);
    assert.equal(local.markIfSameAsBase('f0', statOf(synced(0))), true);
    assert.equal(local.markIfSameAsBase('f1', { ...statOf(synced(1)), mtimeMs: 5 }), false, 'another mtime');
    assert.equal(local.markIfSameAsBase('nope', statOf(synced(0))), false, 'not in the index');
    assert.equal(local.markIfSameAsBase('f2', statOf(synced(2))), true);
    const edited: LocalEntry = { size: 9, mtime: 1, ino: 101, contentHash: hex('edited'), blocks: [hex('e')] };
    local.set('f1', edited);
    local.set('new', { size: 0, mtime: 2, ino: 7, contentHash: hex(''), blocks: [] });
    const model = new Map<string, LocalEntry>([
      ['f0', asLocal(synced(0))],
      ['f1', edited],
      ['f2', asLocal(synced(2))],
      ['new', { size: 0, mtime: 2, ino: 7, contentHash: hex(''), blocks: [] }],
    ]);
    assert.equal(local.size, model.size);
    assert.deepEqual(new Map(local), model);
    assert.deepEqual(new Set(local.keys()), new Set(model.keys()));
    for (const [p, e] of model) assert.deepEqual(local.get(p), e, p);
    assert.equal(local.has('f3'), false);
    assert.equal(local.get('f3'), undefined);

    // A marked file written over becomes its own entry; a deleted one is gone, whatever it was.
    local.set('f0', edited);
    assert.deepEqual(local.get('f0'), edited);
    assert.equal(local.delete('f2'), true);
    assert.equal(local.delete('f1'), true);
    assert.equal(local.delete('f1'), false);
    assert.deepEqual([...local.keys()].sort(), ['f0', 'new']);
    assert.equal(local.size, 2);
  });

  it('keeps what a marked file was when the index changes or drops its entry (pin), and a reused slot shows nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-localtree-'));
    try {
      const index = SyncedIndex.open(dir);
      for (let i = 0; i < 3; i++) index.set(`f${i}`, synced(i));
      let local = new LocalTree(index.tree);
      index.beforeChange = (p) => local.pin(p);
      for (let i = 0; i < 3; i++) assert.ok(local.markIfSameAsBase(`f${i}`, statOf(synced(i))));

      index.set('f0', synced(50, 9)); // e.g. a download recorded in the index
      assert.deepEqual(local.get('f0'), asLocal(synced(0)));
      index.delete('f1'); // its slot is free now
      assert.deepEqual(local.get('f1'), asLocal(synced(1)));
      index.set('other', synced(7)); // may take f1's old slot
      assert.equal(local.has('other'), false);
      assert.equal(local.get('other'), undefined);
      assert.deepEqual([...local.keys()].sort(), ['f0', 'f1', 'f2']);

      // The next scan carries marks as marks and own entries as copies, when the stat still holds.
      const next = new LocalTree(index.tree);
      assert.ok(local.copyIfSameStat('f2', statOf(synced(2)), next));
      assert.ok(local.copyIfSameStat('f0', statOf(synced(0)), next));
      assert.equal(local.copyIfSameStat('f1', { ...statOf(synced(1)), ino: 1 }, next), false);
      assert.deepEqual(next.get('f0'), asLocal(synced(0)));
      assert.deepEqual(next.get('f2'), asLocal(synced(2)));
      assert.equal(next.size, 2);
      local = next;
      index.delete('f2');
      assert.deepEqual(next.get('f2'), asLocal(synced(2)));
      index.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers inSync exactly as a tree of its own would', () => {
    const base = new CompactTree<SyncedEntry>();
    for (let i = 0; i < 4; i++) base.set(`f${i}`, synced(i));
    const remote = new CompactTree<CompactEntry>();
    remote.resetToRemoteView(base);
    remote.set('f3', { size: 3, rev: 99, contentHash: hex('c3') }); // the server moved on
    const overlay = new LocalTree(base);
    const plain = new CompactTree<LocalEntry>();
    for (let i = 0; i < 4; i++) {
      assert.ok(overlay.markIfSameAsBase(`f${i}`, statOf(synced(i))));
      base.copyIfSameStat(`f${i}`, statOf(synced(i)), plain);
    }
    overlay.set('f1', { ...asLocal(synced(1)), contentHash: hex('edited') });
    plain.set('f1', { ...asLocal(synced(1)), contentHash: hex('edited') });
    overlay.delete('f2');
    plain.delete('f2');
    for (let i = 0; i < 5; i++) {
      const p = `f${i}`;
      assert.equal(overlay.inSync(p, remote, base), CompactTree.inSync(p, plain, remote, base), p);
    }
    assert.equal(overlay.inSync('f0', remote, base), true);
  });
});
