// `npm run bench -- --quick` end to end: proves the harness runs and fills every row (it does not judge speed).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

describe('npm run bench -- --quick', function () {
  this.timeout(240_000);
  let out: string;

  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-bench-test-'));
  });
  after(() => {
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('prints and writes one table with every workload, each with numeric figures for MyDropbox and its baselines', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--conditions=source', '--require', 'tsx/cjs', 'bench/run.ts', '--quick', '--out', out], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let so = '';
      let se = '';
      child.stdout.on('data', (d: Buffer) => (so += d.toString()));
      child.stderr.on('data', (d: Buffer) => (se += d.toString()));
      child.on('close', (c) => resolve({ code: c, stdout: so, stderr: se }));
    });
    assert.equal(code, 0, `bench failed:\n${stderr}`);
    const written = fs.readFileSync(path.join(out, 'latest-quick.md'), 'utf8');
    assert.ok(
      stdout.includes(
        written
          .trim()
          .split('\n')
          .find((l) => l.startsWith('| W1'))!,
      ),
      'the printed table is the written one',
    );
    const rows = written
      .split('\n')
      .filter((l) => /^\| W\d /.test(l))
      .map((l) =>
        l
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    const byWorkload = new Map<string, string[][]>();
    for (const r of rows) byWorkload.set(r[0]!, [...(byWorkload.get(r[0]!) ?? []), r]);
    assert.deepEqual([...byWorkload.keys()].sort(), ['W1', 'W2', 'W3', 'W4', 'W5', 'W6']);
    const numeric = /^\d[\d,]*(\.\d+)?( \(\d[\d,]*(\.\d+)?–\d[\d,]*(\.\d+)?\))?$/;
    for (const r of rows) assert.match(r[2]!, numeric, `MyDropbox's figure in "${r[1]}"`);
    const cell = (w: string, figure: RegExp, col: number) => byWorkload.get(w)!.find((r) => figure.test(r[1]!))![col]!;
    // The baselines ran in the same run: rsync for W1, W2, W3, W5, W6; rclone and the floor where they apply.
    for (const [w, fig] of [
      ['W1', /first sync/],
      ['W2', /upload/],
      ['W3', /time/],
      ['W3', /bytes/],
      ['W5', /payload/],
      ['W6', /rescan/],
    ] as const) {
      assert.match(cell(w, fig, 4), numeric, `rsync's figure for ${w} ${fig}`);
      assert.match(cell(w, fig, 7), /^\d+(\.\d+)?×$/, `the ratio to rsync for ${w} ${fig}`);
    }
    for (const [w, fig] of [
      ['W1', /first sync/],
      ['W2', /upload/],
      ['W3', /bytes/],
    ] as const)
      assert.match(cell(w, fig, 5), numeric, `rclone's figure for ${w} ${fig}`);
    assert.match(cell('W1', /first sync/, 3), /^\d/, 'the cp floor for W1');
    assert.match(cell('W2', /upload/, 3), /^\d/, 'the TCP floor for W2');
    assert.match(cell('W4', /median/, 2), numeric);
    assert.match(cell('W4', /p95/, 2), numeric);
    assert.ok(
      fs.readdirSync(out).some((n) => /^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-quick\.md$/.test(n)),
      'a dated copy is kept',
    );
  });
});
