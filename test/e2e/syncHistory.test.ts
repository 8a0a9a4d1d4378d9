// `mydropbox history` and `mydropbox restore` as a person runs them: versions listed, an overwritten and a deleted file brought back byte for byte.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startStack, TEST_PASSWORD, type Stack } from '../support/stack';
import { runCliProcess } from '../../extension/test/cli/run';
import { EXIT } from '../../extension/src/cli/main';

describe('mydropbox history and restore', function () {
  this.timeout(90_000);
  let stack: Stack;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let folder: string;

  before(async () => {
    stack = await startStack();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-history-'));
    env = { MYDROPBOX_CONFIG_DIR: path.join(home, 'config'), HOME: home, MYDROPBOX_PASSWORD: TEST_PASSWORD };
    folder = path.join(home, 'myDropbox');
    const user = await stack.signUpAndSignIn();
    const login = await runCliProcess(['login', '--server', stack.url, '--username', user.username, '--device', 'test laptop'], env);
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    fs.rmSync(home, { recursive: true, force: true });
    await stack?.close();
  });

  const cli = (...args: string[]) => runCliProcess(args, env);
  const syncOnce = async () => {
    const res = await cli('sync', '--once', folder);
    assert.equal(res.code, EXIT.ok, res.stderr + res.stdout);
  };
  const write = (rel: string, data: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
    fs.writeFileSync(path.join(folder, rel), data);
  };
  const read = (rel: string) => fs.readFileSync(path.join(folder, rel));
  /** The IDs of `history`'s table rows, newest first ('current' first when there is one). */
  const ids = (stdout: string) =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('  ') && !l.trim().startsWith('ID '))
      .map((l) => l.trim().split(/\s+/)[0]!);

  it('lists the versions of a file (when, size, device, id) and brings an older one back, byte for byte', async () => {
    const v1 = randomBytes(5000);
    write('notes/plan.bin', v1);
    await syncOnce();
    write('notes/plan.bin', 'second version');
    await syncOnce();
    write('notes/plan.bin', 'third version, the current one');
    await syncOnce();

    const listed = await cli('history', 'notes/plan.bin');
    assert.equal(listed.code, EXIT.ok, listed.stderr);
    const rows = ids(listed.stdout);
    assert.equal(rows.length, 3, listed.stdout);
    assert.equal(rows[0], 'current');
    assert.match(listed.stdout, /5 KB/, 'sizes in words');
    assert.match(listed.stdout, /test laptop/, 'the device that wrote it');
    assert.match(listed.stdout, /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/, 'when');
    assert.match(listed.stdout, /mydropbox restore notes\/plan\.bin --version ID/);

    // The same file named by its path on this computer, from inside the folder and from outside.
    const byLocal = await runCliProcess(['history', path.join(folder, 'notes', 'plan.bin')], env);
    assert.equal(byLocal.code, EXIT.ok, byLocal.stderr);
    assert.deepEqual(ids(byLocal.stdout), rows);

    const oldest = rows[2]!;
    const restored = await cli('restore', 'notes/plan.bin', '--version', oldest);
    assert.equal(restored.code, EXIT.ok, restored.stderr);
    assert.match(restored.stdout, /Restored notes\/plan\.bin version .* as notes\/plan\.bin/);
    assert.ok(restored.stdout.includes(path.join(folder, 'notes', 'plan.bin')), `says where: ${restored.stdout}`);
    await syncOnce();
    assert.deepEqual(read('notes/plan.bin'), v1, 'byte-identical to the first version');

    // The version it replaced is kept too: nothing is overwritten for good.
    const after = await cli('history', 'notes/plan.bin');
    assert.equal(ids(after.stdout).length, 4, after.stdout);
    assert.match(after.stdout, /replaced by a restore/);
  });

  it('brings a deleted file back (no --version: the newest kept), beside its name when that is taken again', async () => {
    write('gone.txt', 'deleted by mistake');
    write('reused.txt', 'the old reused.txt');
    await syncOnce();
    fs.rmSync(path.join(folder, 'gone.txt'));
    fs.rmSync(path.join(folder, 'reused.txt'));
    await syncOnce();
    write('reused.txt', 'a new file under the same name');
    await syncOnce();

    const listed = await cli('history', 'gone.txt');
    assert.equal(listed.code, EXIT.ok, listed.stderr);
    assert.match(listed.stdout, /deleted/);
    assert.equal(ids(listed.stdout)[0] === 'current', false);

    const back = await cli('restore', 'gone.txt');
    assert.equal(back.code, EXIT.ok, back.stderr);
    assert.match(back.stdout, /as gone\.txt/);
    const beside = await cli('restore', 'reused.txt');
    assert.equal(beside.code, EXIT.ok, beside.stderr);
    assert.match(beside.stdout, /as "reused \(restored\)\.txt" \(beside it/);
    await syncOnce();
    assert.equal(read('gone.txt').toString(), 'deleted by mistake');
    assert.equal(read('reused (restored).txt').toString(), 'the old reused.txt');
    assert.equal(read('reused.txt').toString(), 'a new file under the same name');
  });

  it('says what is wrong, with the documented exit codes: no such file (8), no such version (8), bad usage (1)', async () => {
    const none = await cli('history', 'never/was.txt');
    assert.equal(none.code, EXIT.notFound, none.stderr + none.stdout);
    assert.match(none.stderr, /never\/was\.txt/);
    write('exists.txt', 'x');
    await syncOnce();
    // An id shaped like the ones `history` shows, but none of this file's: 8; one not shaped like an id at all: wrong usage.
    const noVersion = await cli('restore', 'exists.txt', '--version', '0123456789abcdef0123456789abcdef');
    assert.equal(noVersion.code, EXIT.notFound, noVersion.stderr);
    assert.match(noVersion.stderr, /mydropbox history "?exists\.txt"?` lists the versions kept/);
    const badVersion = await cli('restore', 'exists.txt', '--version', 'not an id');
    assert.equal(badVersion.code, EXIT.usage, badVersion.stderr);
    const noPath = await cli('restore');
    assert.equal(noPath.code, EXIT.usage);
    assert.match(noPath.stderr, /restore takes one PATH/);
    const outside = await cli('history', path.join(home, 'elsewhere.txt'));
    assert.equal(outside.code, EXIT.usage);
    assert.match(outside.stderr, /not inside a synced folder/);
    const traversal = await cli('history', '../up.txt');
    assert.equal(traversal.code, EXIT.usage, traversal.stderr);
    for (const command of ['history', 'restore']) {
      const help = await cli(command, '--help');
      assert.equal(help.code, EXIT.ok);
      assert.match(help.stdout, new RegExp(`mydropbox ${command} PATH`));
      assert.match(help.stdout, /Exit codes/);
    }
  });
});
