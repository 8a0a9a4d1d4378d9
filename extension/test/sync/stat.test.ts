// The "unchanged" test: a rewrite that puts the mtime back (cp -p, tar x) or lands in the same timestamp tick as the hash is read again, never trusted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blockHashesOf, contentHashOfBlocks } from '@mydropbox/shared';
import { hashFile, isRacy, trustStat } from '../../src/sync/hasher';
import { statAndHash } from '../../src/sync/scanner';
import { CompactTree, type CompactEntry } from '../../src/sync/compactTree';

const hashOf = (text: string) => contentHashOfBlocks(blockHashesOf(Buffer.from(text)));

describe('sync: when a stat can be trusted', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-stat-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads again a same-size rewrite whose mtime was put back (the change time moved)', async () => {
    const file = path.join(dir, 'x.txt');
    fs.writeFileSync(file, 'AAAA');
    fs.utimesSync(file, new Date(1_600_000_000_000), new Date(1_600_000_000_000));
    const before = (await hashFile(file))!;
    fs.writeFileSync(file, 'BBBB'); // same inode, same size
    fs.utimesSync(file, new Date(1_600_000_000_000), new Date(before.mtime)); // as cp -p or tar x leave it
    const st = fs.lstatSync(file);
    assert.equal(st.mtimeMs, before.mtime);
    assert.equal(st.ino, before.ino);
    assert.equal((await statAndHash(file, before))?.contentHash, hashOf('BBBB'));
  });

  it('reads again an entry hashed in the same timestamp tick as its mtime (racily clean), and trusts one hashed later', async () => {
    const file = path.join(dir, 'x.txt');
    fs.writeFileSync(file, 'BBBB');
    const st = fs.lstatSync(file);
    // What an index entry recorded if A was hashed just before B was written in the same tick: every time equal.
    const racy = {
      size: 4,
      mtime: st.mtimeMs,
      ino: st.ino,
      ctime: st.ctimeMs,
      hashedAt: st.mtimeMs + 5,
      contentHash: hashOf('AAAA'),
      blocks: [],
    };
    assert.ok(isRacy(racy));
    assert.ok(!trustStat(racy, st));
    assert.equal((await statAndHash(file, racy))?.contentHash, hashOf('BBBB'));
    const tree = new CompactTree<CompactEntry>();
    tree.set('x.txt', racy);
    assert.equal(tree.statMatches('x.txt', st), false, 'the scan reads it too');
    // Hashed well after its last write: the stat is trusted (the file is not read).
    const clean = { ...racy, hashedAt: st.mtimeMs + 1_000 };
    assert.ok(trustStat(clean, st));
    assert.equal((await statAndHash(file, clean))?.contentHash, hashOf('AAAA'));
    tree.set('x.txt', clean);
    assert.equal(tree.statMatches('x.txt', st), true);
    // A coarse file system (whole seconds): the tick is up to two seconds.
    assert.ok(isRacy({ mtime: 1_600_000_000_000, hashedAt: 1_600_000_001_500 }));
    assert.ok(!isRacy({ mtime: 1_600_000_000_000, hashedAt: 1_600_000_002_500 }));
    assert.ok(!isRacy({ mtime: 1_600_000_000_000 }), 'unknown (older state): trusted as before');
  });

  it('loads a snapshot written before ctime and hashedAt had columns, with both unknown', () => {
    const tree = new CompactTree<CompactEntry>();
    const entry = { size: 4, mtime: 10.5, ino: 7, rev: 3, contentHash: hashOf('AAAA'), blocks: blockHashesOf(Buffer.from('AAAA')) };
    tree.set('a', { ...entry, ctime: 11, hashedAt: 12 });
    tree.set('b/c', entry);
    const [head, nums, ...rest] = tree.toBinary();
    const parsed = JSON.parse(head!.toString()) as { nums?: number };
    assert.equal(parsed.nums, 6);
    delete parsed.nums;
    const wide = new Float64Array(nums!.buffer, nums!.byteOffset, nums!.byteLength / 8);
    const narrow = new Float64Array((wide.length / 6) * 4);
    for (let i = 0; i < wide.length / 6; i++) narrow.set(wide.subarray(i * 6, i * 6 + 4), i * 4);
    const body = Buffer.concat([Buffer.from(narrow.buffer), ...rest]);
    const old = new CompactTree<CompactEntry>();
    old.loadBinary(JSON.stringify(parsed), body.length, (into, at) => body.copy(into, 0, at, at + into.length));
    assert.deepEqual(old.get('a'), entry);
    assert.deepEqual(old.get('b/c'), entry);
    assert.equal(old.statMatches('a', { size: 4, mtimeMs: 10.5, ino: 7, ctimeMs: 99 }), true, 'unknown ctime: not compared');
  });
});
