// The engine's local pieces on real temp folders: ignore rules, the synced index journal, the scanner and the hasher.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { BLOCK_SIZE, blockHashesOf, contentHashOfBlocks } from '@mydropbox/shared';
import ignore from 'ignore';
import { DEFAULT_IGNORES, IgnoreRules } from '../../src/sync/ignore';
import { SyncedIndex, type SyncedEntry } from '../../src/sync/syncedIndex';
import { scanFolder } from '../../src/sync/scanner';
import { FileChangingError, hashFile, PARALLEL_HASH_MIN } from '../../src/sync/hasher';

describe('sync engine local state', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-local-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ignores editor and OS temp files, our own temp files, and what .mydropboxignore lists', () => {
    const rules = IgnoreRules.fromText('build/\n*.log\n!keep.log\n');
    for (const p of [
      'a.swp',
      'x/.b.swx',
      'notes.txt~',
      '.#lock',
      '#auto#',
      '.DS_Store',
      'd/Thumbs.db',
      'desktop.ini',
      'x.tmp',
      'f.crdownload',
      'g.part',
      '.~lock.doc#',
      '.mydropbox-tmp-abc',
      'build/out.js',
      'a/build/x',
      'err.log',
    ]) {
      assert.equal(rules.ignores(p), true, p);
    }
    assert.equal(rules.ignores('.git', true), true);
    for (const p of ['notes.txt', 'node_modules/x/index.js', 'keep.log', 'building.txt', '.mydropboxignore', 'a.tmpl'])
      assert.equal(rules.ignores(p), false, p);
  });

  it('decides a file by its name alone, exactly as the matcher does, only while the folder has no rules of its own', () => {
    const matcher = ignore().add([...DEFAULT_IGNORES]);
    const stems = [
      'a',
      'notes.txt',
      'x.SWP',
      'y.swp.bak',
      '.swp',
      'file~',
      '~file',
      '.#x',
      '.#',
      '#x#',
      '##',
      '#x',
      'x#',
      '.ds_store',
      '.DS_Store',
    ];
    const more = [
      'THUMBS.DB',
      'Thumbs.db.old',
      'desktop.ini',
      'x.tmp',
      'x.tmpl',
      'x.TMP',
      'y.crdownload',
      'z.part',
      'z.party',
      '.~lock.a#',
    ];
    const names = [
      ...stems,
      ...more,
      '.~lock.#',
      '.~lockx#',
      '.mydropbox-tmp-1',
      '.mydropbox-tmp',
      '.MYDROPBOX-TMP-x',
      '.git',
      'a.b.c',
      'ünïcode.tmp',
    ];
    const rules = IgnoreRules.fromText('# only a comment\n\n');
    for (const name of names)
      for (const rel of [name, `f/${name}`, `f/g/${name}`]) assert.equal(rules.ignoresFile(rel, name), matcher.ignores(rel), rel);
    // A rule of the folder's own may name any path: then the matcher decides.
    const own = IgnoreRules.fromText('f/a\n');
    assert.equal(own.ignoresFile('f/a', 'a'), true);
    assert.equal(own.ignoresFile('a', 'a'), false);
  });

  it('hashes files in 4 MiB blocks as the server does, including empty and multi-block files', async () => {
    const data = randomBytes(2 * BLOCK_SIZE + 123);
    fs.writeFileSync(path.join(dir, 'big'), data);
    fs.writeFileSync(path.join(dir, 'empty'), '');
    const big = await hashFile(path.join(dir, 'big'));
    assert.deepEqual(big!.blocks, blockHashesOf(data));
    assert.equal(big!.contentHash, contentHashOfBlocks(blockHashesOf(data)));
    const empty = await hashFile(path.join(dir, 'empty'));
    assert.deepEqual(empty!.blocks, []);
    assert.equal(await hashFile(path.join(dir, 'missing')), null);
  });

  it('hashes a big file on the worker pool exactly as the server does, and sees it replaced meanwhile', async () => {
    const data = randomBytes(PARALLEL_HASH_MIN + 5 * BLOCK_SIZE + 1); // 10 blocks: runs of unequal length across the workers
    const file = path.join(dir, 'big');
    fs.writeFileSync(file, data);
    const [a, b] = await Promise.all([hashFile(file), hashFile(file)]); // two files' jobs share the pool
    assert.deepEqual(a!.blocks, blockHashesOf(data));
    assert.deepEqual({ ...b, hashedAt: 0 }, { ...a, hashedAt: 0 }); // read at about the same time: not the same millisecond
    assert.equal(a!.contentHash, contentHashOfBlocks(blockHashesOf(data)));
    // Swapped for another file of the same size while the workers read: either content whole, or "changing", never a mix.
    const otherData = randomBytes(data.length);
    const whole = new Set([a!.contentHash, contentHashOfBlocks(blockHashesOf(otherData))]);
    const other = path.join(dir, 'other');
    for (let i = 0; i < 6; i++) {
      fs.writeFileSync(other, i % 2 ? data : otherData);
      const hashing = hashFile(file).catch((err) => (err instanceof FileChangingError ? null : Promise.reject(err)));
      await new Promise((r) => setTimeout(r, i * 3));
      fs.renameSync(other, file);
      const h = await hashing;
      if (h) assert.ok(whole.has(h.contentHash));
    }
  });

  it('waits for the hashing workers while they work and never keeps a finished process alive', () => {
    const file = path.join(dir, 'big');
    fs.writeFileSync(file, randomBytes(PARALLEL_HASH_MIN + 1));
    const hasher = path.join(__dirname, '../../src/sync/hasher.ts');
    const script = `require(${JSON.stringify(hasher)}).hashFile(${JSON.stringify(file)}).then((h) => console.log(h.blocks.length))`;
    const run = spawnSync(process.execPath, ['--conditions=source', '--require', 'tsx/cjs', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.signal, null, 'the process had to be killed: the pool kept it alive');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), '5', 'the process ended before the workers answered');
  });

  it('refuses to hash a file that is being written', async () => {
    const file = path.join(dir, 'growing');
    fs.writeFileSync(file, randomBytes(BLOCK_SIZE * 4));
    const writer = setInterval(() => fs.appendFileSync(file, 'more'), 0);
    try {
      let changing = 0;
      for (let i = 0; i < 20; i++)
        await hashFile(file).catch((err) => (err instanceof FileChangingError ? changing++ : Promise.reject(err)));
      assert.ok(changing > 0);
    } finally {
      clearInterval(writer);
    }
  });

  it('keeps the index in an append-only journal that survives a torn last line and compacts', () => {
    const state = path.join(dir, 'state');
    const entry = (n: number): SyncedEntry => ({ size: n, mtime: n, ino: n, contentHash: String(n).padStart(64, '0'), rev: n, blocks: [] });
    const index = SyncedIndex.open(state);
    for (let i = 0; i < 100; i++) index.set(`f${i}`, entry(i));
    index.delete('f3');
    index.set('f4', entry(44));
    index.close();
    fs.appendFileSync(path.join(state, 'index.jsonl'), '{"p":"torn","e":{"si');
    const again = SyncedIndex.open(state);
    assert.equal(again.size, 99);
    assert.equal(again.get('f4')!.rev, 44);
    assert.equal(again.has('f3'), false);
    assert.equal(again.has('torn'), false);
    again.compact();
    again.close();
    assert.equal(fs.readFileSync(path.join(state, 'index.jsonl'), 'utf8'), '', 'the entries moved to the snapshot');
    const compacted = SyncedIndex.open(state);
    assert.equal(compacted.size, 99);
    assert.deepEqual(compacted.get('f4'), entry(44));
    compacted.set('f5', entry(55));
    compacted.close();
    assert.deepEqual(SyncedIndex.open(state).get('f5'), entry(55), 'the journal after a snapshot replays on top of it');
    // A snapshot that does not read back whole is refused, not half-used.
    fs.appendFileSync(path.join(state, 'index.bin'), 'x');
    assert.throws(() => SyncedIndex.open(state), /bad length/);
  });

  it('does not read unchanged files again: the index hash is reused when size, mtime and inode match', async () => {
    const folder = path.join(dir, 'f');
    fs.mkdirSync(path.join(folder, 'a', 'b'), { recursive: true });
    // Written a minute ago: files hashed within a timestamp tick of their mtime are racily clean and read again (below).
    const aMinuteAgo = new Date(Date.now() - 60_000);
    for (let i = 0; i < 50; i++) {
      fs.writeFileSync(path.join(folder, 'a', 'b', `x${i}`), `content ${i}`);
      fs.utimesSync(path.join(folder, 'a', 'b', `x${i}`), aMinuteAgo, aMinuteAgo);
    }
    fs.writeFileSync(path.join(folder, 'x.swp'), 'ignored');
    fs.symlinkSync('/etc/passwd', path.join(folder, 'link'));
    const rules = IgnoreRules.fromText('');
    const first = await scanFolder(folder, rules, { get: () => undefined });
    assert.equal(first.files.size, 50);
    assert.equal(first.hashed, 50);
    const second = await scanFolder(folder, rules, { get: (p) => first.files.get(p) });
    assert.equal(second.hashed, 0);
    fs.writeFileSync(path.join(folder, 'a', 'b', 'x7'), 'changed!');
    const third = await scanFolder(folder, rules, { get: (p) => second.files.get(p) });
    assert.equal(third.hashed, 1);
    assert.notEqual(third.files.get('a/b/x7')!.contentHash, second.files.get('a/b/x7')!.contentHash);
  });

  it('reads a file again while it is racily clean (hashed within a tick of its mtime), then trusts its stat', async () => {
    const folder = path.join(dir, 'racy');
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, 'r.txt');
    fs.writeFileSync(file, 'one');
    const rules = IgnoreRules.fromText('');
    const first = await scanFolder(folder, rules, { get: () => undefined });
    // Same size and mtime, other bytes: what a write in the same tick as the hash looks like.
    const { mtime } = fs.statSync(file);
    fs.writeFileSync(file, 'two');
    fs.utimesSync(file, mtime, mtime);
    const second = await scanFolder(folder, rules, { get: (p) => first.files.get(p) });
    assert.equal(second.hashed, 1, 'racily clean: read again');
    assert.notEqual(second.files.get('r.txt')!.contentHash, first.files.get('r.txt')!.contentHash);
    const aged = { ...second.files.get('r.txt')!, hashedAt: second.files.get('r.txt')!.mtime + 60_000 };
    const third = await scanFolder(folder, rules, { get: () => aged });
    assert.equal(third.hashed, 0, 'hashed well after its mtime: the stat is trusted');
  });
});
