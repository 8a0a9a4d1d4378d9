// The state lock: held against a live owner, taken over from a dead one, a zombie, or a pid that now belongs to another process.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireStateLock } from '../../src/sync/stateLock';
import { eventually } from './client';

const LOCKER = path.join(__dirname, '..', '..', 'src', 'sync', 'stateLock.ts');

/** A process holding the lock of `dir` until killed; resolves once it holds it. */
async function lockInChild(dir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--require',
      'tsx/cjs',
      '--conditions=source',
      '-e',
      `require(${JSON.stringify(LOCKER)}).acquireStateLock(${JSON.stringify(dir)}); console.log('held'); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    child.on('exit', (code) => reject(new Error(`the locking child exited with ${code}`)));
  });
  return child;
}

async function killAndWait(child: ChildProcess): Promise<void> {
  const gone = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

describe('state lock', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is held against this process and a live one, and taken over once its owner is killed', async () => {
    const release = acquireStateLock(dir);
    assert.throws(() => acquireStateLock(dir), /already syncs/);
    release();
    const child = await lockInChild(dir);
    try {
      assert.throws(() => acquireStateLock(dir), new RegExp(`process ${child.pid}\\) is already using`));
    } finally {
      await killAndWait(child);
    }
    acquireStateLock(dir)();
    assert.equal(fs.existsSync(path.join(dir, 'lock')), false, 'released');
  });

  it("is taken over when the dead owner's pid now belongs to another running process", async () => {
    const child = await lockInChild(dir);
    await killAndWait(child);
    const file = path.join(dir, 'lock');
    // The pid is reused: process 1 runs, but it is not the process that wrote the lock.
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(String(child.pid), '1'));
    const release = acquireStateLock(dir);
    assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`"pid":${process.pid}`));
    release();
  });

  it('is taken over from a zombie', async function () {
    if (!fs.existsSync('/proc/self/stat')) this.skip(); // zombies are told apart through /proc (Linux)
    // `sh` starts a child that exits a moment later, once `sh` has become `sleep`, which never reaps it: a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0.5 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const zombie = await new Promise<number>((resolve) =>
        parent.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
      );
      await eventually(() => assert.match(fs.readFileSync(`/proc/${zombie}/stat`, 'utf8'), /\) Z /), 10_000);
      fs.writeFileSync(path.join(dir, 'lock'), String(zombie)); // the format older versions wrote
      acquireStateLock(dir)();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('never removes a lock another process took over meanwhile', () => {
    const release = acquireStateLock(dir);
    const file = path.join(dir, 'lock');
    const theirs = JSON.stringify({ pid: 1, start: 'theirs' });
    fs.writeFileSync(file, theirs);
    release();
    assert.equal(fs.readFileSync(file, 'utf8'), theirs);
  });
});
