// Listing folders with each entry's lstat: the worker threads give exactly what this thread gives, and a scan through either finds the same.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { KIND, listBelow, openLister, PARALLEL_LIST_MIN, STAT_FIELDS, type DirLister, type ListResult } from '../../src/sync/dirLister';
import { scanFolder } from '../../src/sync/scanner';
import { IgnoreRules, TEMP_PREFIX } from '../../src/sync/ignore';

async function listAll(lister: DirLister, dirs: string[]): Promise<Map<string, ListResult>> {
  const out = new Map<string, ListResult>();
  let next = 0;
  try {
    while (next < dirs.length || lister.pending > 0) {
      while (next < dirs.length && lister.canTake) lister.submit(dirs[next]!, next++);
      const { tag, result } = await lister.next();
      out.set(dirs[tag]!, result);
    }
  } finally {
    await lister.close();
  }
  return out;
}

/** A listing as plain data, entries sorted by name, to compare two listers. */
function plain(r: ListResult | undefined): unknown {
  if (!r || 'error' in r) return r && { code: r.code };
  return r.names
    .map((name, i) => ({
      name,
      kind: r.stats[i * STAT_FIELDS],
      size: r.stats[i * STAT_FIELDS + 1],
      mtime: r.stats[i * STAT_FIELDS + 2],
      ino: r.stats[i * STAT_FIELDS + 3],
      ctime: r.stats[i * STAT_FIELDS + 4],
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe('folder lister', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-lister-'));
    for (let d = 0; d < 6; d++) {
      fs.mkdirSync(path.join(root, `d${d}`, 'inner'), { recursive: true });
      for (let f = 0; f < 50; f++) fs.writeFileSync(path.join(root, `d${d}`, `f${f}.txt`), 'x'.repeat(f));
    }
    fs.writeFileSync(path.join(root, 'top.txt'), 'top');
    fs.writeFileSync(path.join(root, `${TEMP_PREFIX}left`), '');
    fs.symlinkSync('/etc/passwd', path.join(root, 'link'));
    fs.mkdirSync(path.join(root, 'empty'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('lists on worker threads exactly what it lists on this thread, missing folders included', async () => {
    const dirs = [root, ...fs.readdirSync(root).map((n) => path.join(root, n)), path.join(root, 'nope')].map((d) => d + path.sep);
    const here = await listAll(openLister(0), dirs);
    const lister = openLister(PARALLEL_LIST_MIN);
    const workers = await listAll(lister, dirs);
    assert.equal(lister.fromWorkers, dirs.length, 'every folder was listed by a worker');
    assert.equal(here.size, dirs.length);
    for (const d of dirs) assert.deepEqual(plain(workers.get(d)), plain(here.get(d)), d);
    const top = plain(here.get(root + path.sep)) as { name: string; kind: number; size: number }[];
    assert.deepEqual(
      top.map((e) => [e.name, e.kind]),
      [
        [`${TEMP_PREFIX}left`, KIND.file],
        ['d0', KIND.dir],
        ['d1', KIND.dir],
        ['d2', KIND.dir],
        ['d3', KIND.dir],
        ['d4', KIND.dir],
        ['d5', KIND.dir],
        ['empty', KIND.dir],
        ['link', KIND.link],
        ['top.txt', KIND.file],
      ],
    );
    assert.deepEqual(plain(here.get(path.join(root, 'nope') + path.sep)), { code: 'ENOENT' });
  });

  it('stops its workers when the scan ends: a process that scanned a big tree exits by itself', () => {
    const scanner = path.join(__dirname, '../../src/sync/scanner.ts');
    const ignore = path.join(__dirname, '../../src/sync/ignore.ts');
    const script =
      `require(${JSON.stringify(scanner)}).scanFolder(${JSON.stringify(root)}, require(${JSON.stringify(ignore)}).IgnoreRules.fromText(''),` +
      ` { get: () => undefined, expected: ${PARALLEL_LIST_MIN} }).then((r) => console.log(r.files.size))`;
    const run = spawnSync(process.execPath, ['--conditions=source', '--require', 'tsx/cjs', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.signal, null, 'the process had to be killed: a worker kept it alive');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), String(6 * 50 + 1));
  });

  it('scans the same files through workers as on this thread', async () => {
    const rules = IgnoreRules.fromText('');
    const here = await scanFolder(root, rules, { get: () => undefined });
    const workers = await scanFolder(root, rules, { get: () => undefined, expected: PARALLEL_LIST_MIN });
    assert.equal(here.files.size, 6 * 50 + 1);
    // The same files and stats; when each was read (hashedAt) differs between the two scans.
    const unread = (files: Iterable<[string, object]>) => new Map([...files].map(([p, e]) => [p, { ...e, hashedAt: 0 }]));
    assert.deepEqual(unread(workers.files), unread(here.files));
    assert.deepEqual(workers.strayTemps, here.strayTemps);
    assert.deepEqual(workers.skipped, here.skipped);
  });

  it('lists the files and the folders below a folder (links and missing folders passed over)', () => {
    fs.mkdirSync(path.join(root, 'top', 'a', 'b'), { recursive: true });
    fs.writeFileSync(path.join(root, 'top', 'a', 'b', 'deep.txt'), '');
    fs.writeFileSync(path.join(root, 'top', 'one.txt'), '');
    fs.symlinkSync('/etc', path.join(root, 'top', 'a', 'link'));
    const below = listBelow(root, 'top');
    assert.deepEqual(below.files.sort(), ['top/a/b/deep.txt', 'top/one.txt']);
    assert.deepEqual(below.folders, ['top/a', 'top/a/b']);
    assert.deepEqual(listBelow(root, 'gone'), { files: [], folders: [] });
  });
});
