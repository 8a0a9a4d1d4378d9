// The sync engine against the whole stack: real servers, real folders, two devices.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { PART_SIZE, blockHashesOf, contentHashOfBlocks, type Change } from '@mydropbox/shared';
import { deviceTokenSession, type Session } from '../../extension/src/sync';
import { RemoteClient } from '../../extension/src/sync/remote';
import { type Stack, type StackUser } from '../support/stack';
import { eventually, syncClientHooks } from '../../extension/test/sync/client';
import { startFaultProxy } from '../../extension/test/sync/faultProxy';

describe('sync engine end to end', function () {
  this.timeout(60_000);
  let stack: Stack;
  let user: StackUser;
  const client = syncClientHooks({ stack: (s) => (stack = s), user: (u) => (user = u) });

  it('syncs creates, edits, deletes, renames, nested folders, Unicode names and empty files between two devices', async () => {
    const a = client();
    const b = client();
    a.write('hello.txt', 'hello');
    a.write('deep/er/nested/file.bin', Buffer.from([0, 1, 2, 255]));
    a.write('empty', '');
    a.write('Ünïcödé/日本語 ファイル.txt', 'こんにちは');
    await a.engine.syncNow();
    await b.engine.syncNow();
    assert.deepEqual(b.tree(), a.tree());

    a.write('hello.txt', 'hello again');
    fs.renameSync(a.file('deep/er/nested/file.bin'), a.file('deep/moved.bin'));
    fs.rmSync(a.file('deep/er'), { recursive: true }); // the folders the move left empty go too (an empty folder is kept: syncFolders.test.ts)
    fs.rmSync(a.file('empty'));
    await a.engine.syncNow();
    await b.engine.syncNow();
    assert.deepEqual(b.tree(), a.tree());
    assert.equal(b.read('hello.txt'), 'hello again');
    assert.equal(fs.existsSync(b.file('deep/er')), false, 'folders emptied by a remote delete go too');
  });

  it('uploads a saved file within a second and a second device gets it through the change feed', async () => {
    const a = client();
    const b = client();
    await a.engine.start();
    await b.engine.start();
    const t0 = Date.now();
    a.write('notes/today.md', '# hi');
    await eventually(() => assert.equal(b.read('notes/today.md'), '# hi'), 5_000);
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 2_000, `took ${elapsed} ms from one device to the other`);
    fs.rmSync(a.file('notes/today.md'));
    await eventually(() => assert.equal(fs.existsSync(b.file('notes/today.md')), false), 5_000);
    await eventually(() => assert.equal(a.engine.status.kind, 'upToDate'));
  });

  it('follows folders created, moved in and removed as a whole while running', async () => {
    const a = client();
    const b = client();
    await a.engine.start();
    await b.engine.start();
    fs.mkdirSync(a.file('new/deeper/still'), { recursive: true });
    a.write('new/deeper/still/leaf.txt', 'leaf');
    const outside = fs.mkdtempSync(a.folder + '-outside-');
    fs.mkdirSync(`${outside}/pack/sub`, { recursive: true });
    fs.writeFileSync(`${outside}/pack/one.txt`, '1');
    fs.writeFileSync(`${outside}/pack/sub/two.txt`, '2');
    fs.renameSync(`${outside}/pack`, a.file('pack'));
    fs.rmSync(outside, { recursive: true });
    await eventually(
      () => assert.deepEqual(Object.keys(b.tree()), ['new/deeper/still/leaf.txt', 'pack/one.txt', 'pack/sub/two.txt']),
      10_000,
    );
    a.write('pack/sub/three.txt', '3');
    await eventually(() => assert.equal(b.read('pack/sub/three.txt'), '3'), 10_000);
    fs.rmSync(a.file('pack'), { recursive: true });
    await eventually(() => assert.deepEqual(Object.keys(b.tree()), ['new/deeper/still/leaf.txt']), 10_000);
  });

  it('never reads or writes through a link made while running: a file turned into a link to a secret is not uploaded, a remote file below a linked folder is refused', async () => {
    const a = client();
    const b = client();
    const outside = fs.mkdtempSync(a.folder + '-outside-');
    try {
      fs.writeFileSync(`${outside}/id_rsa`, 'PRIVATE KEY');
      a.write('notes.txt', 'notes');
      await a.engine.start();
      await b.engine.syncNow();
      const remote = new RemoteClient(deviceTokenSession(stack.url, user.deviceToken));
      const notesHash = (await remote.meta('notes.txt')).contentHash;

      fs.rmSync(a.file('notes.txt'));
      fs.symlinkSync(`${outside}/id_rsa`, a.file('notes.txt'));
      fs.symlinkSync(outside, a.file('linked'));
      b.write('linked/authorized_keys', 'attacker key');
      b.write('after.txt', 'the rest syncs on');
      await b.engine.syncNow();
      await eventually(() => assert.equal(a.read('after.txt'), 'the rest syncs on'), 10_000);
      await eventually(
        () =>
          assert.deepEqual(a.engine.notSynced.map((i) => [i.path, i.reason]).sort(), [
            ['linked', 'symlink'],
            ['notes.txt', 'symlink'],
          ]),
        10_000,
      );
      assert.deepEqual(fs.readdirSync(outside), ['id_rsa'], 'nothing written through the link');
      assert.equal((await remote.meta('notes.txt')).contentHash, notesHash, 'the secret was not uploaded, and the file not deleted');
      assert.ok(!(await remote.list()).files.some((f) => f.contentHash === contentHashOfBlocks(blockHashesOf(Buffer.from('PRIVATE KEY')))));
      await eventually(() => assert.deepEqual(a.engine.status, { ...a.engine.status, kind: 'upToDate', notSynced: 2 }), 10_000);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('uploads a same-size rewrite that put its mtime back (cp -p, tar x, rsync -t), also after a restart', async () => {
    const root = fs.mkdtempSync(`${os.tmpdir()}/mdb-cp-p-`);
    try {
      const a = client({ root });
      const b = client();
      const old = new Date(1_600_000_000_000);
      a.write('x.txt', 'AAAA');
      a.write('y.txt', 'CCCC');
      for (const f of ['x.txt', 'y.txt']) fs.utimesSync(a.file(f), old, old);
      await a.engine.syncNow();
      await b.engine.syncNow();
      fs.writeFileSync(a.file('x.txt'), 'BBBB');
      fs.utimesSync(a.file('x.txt'), old, old);
      await a.engine.syncNow();
      await b.engine.syncNow();
      assert.equal(b.read('x.txt'), 'BBBB');
      await a.engine.stop();
      fs.writeFileSync(a.file('y.txt'), 'DDDD');
      fs.utimesSync(a.file('y.txt'), old, old);
      const again = client({ root });
      await again.engine.syncNow();
      await b.engine.syncNow();
      assert.equal(b.read('y.txt'), 'DDDD');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('keeps both versions when two devices edit the same file while one is offline, and says so', async () => {
    const a = client({ deviceName: 'laptop' });
    const b = client({ deviceName: 'desktop' });
    a.write('plan.txt', 'v1');
    await a.engine.syncNow();
    await b.engine.syncNow();
    a.write('plan.txt', 'edited on laptop');
    await a.engine.syncNow();
    b.write('plan.txt', 'edited on desktop while offline');
    await b.engine.syncNow();
    await a.engine.syncNow();
    assert.equal(b.read('plan.txt'), 'edited on laptop');
    assert.equal(b.conflicts.length, 1);
    assert.match(b.conflicts[0]!.conflictPath, /^plan \(conflicted copy from desktop \d{4}-\d{2}-\d{2} \d{4}\)\.txt$/);
    assert.equal(b.read(b.conflicts[0]!.conflictPath), 'edited on desktop while offline');
    assert.deepEqual(a.tree(), b.tree());
  });

  it('keeps an edit made here over a delete made there, and the other way round', async () => {
    const a = client();
    const b = client();
    a.write('x.txt', 'x1');
    a.write('y.txt', 'y1');
    await a.engine.syncNow();
    await b.engine.syncNow();
    fs.rmSync(a.file('x.txt'));
    a.write('y.txt', 'y2 from a');
    b.write('x.txt', 'x2 from b');
    fs.rmSync(b.file('y.txt'));
    await a.engine.syncNow();
    await b.engine.syncNow();
    await a.engine.syncNow();
    assert.equal(a.read('x.txt'), 'x2 from b');
    assert.equal(b.read('y.txt'), 'y2 from a');
    assert.deepEqual(a.tree(), b.tree());
  });

  it('sends only the changed 64 KiB part of the changed block when one byte of a 200 MB file changes', async function () {
    this.timeout(120_000);
    const a = client();
    const size = 200 * 1000 * 1000;
    const data = randomBytes(size);
    a.write('big.bin', data);
    await a.engine.syncNow();
    const before = { ...a.engine.remote.stats };
    const fd = fs.openSync(a.file('big.bin'), 'r+');
    fs.writeSync(fd, Buffer.from([data[size / 2]! ^ 0xff]), 0, 1, size / 2);
    fs.closeSync(fd);
    await a.engine.syncNow();
    const sent = a.engine.remote.stats.bytesSent - before.bytesSent;
    assert.equal(a.engine.remote.stats.blockBytesSent - before.blockBytesSent, PART_SIZE);
    assert.ok(sent < PART_SIZE + 64 * 1024, `sent ${sent} bytes`);
    data[size / 2] ^= 0xff;
    const remote = new RemoteClient(deviceTokenSession(stack.url, user.deviceToken));
    const meta = await remote.meta('big.bin');
    assert.equal(meta.contentHash, contentHashOfBlocks(blockHashesOf(data)));
  });

  it('syncs a burst of 1,000 files to the server and to another device', async function () {
    this.timeout(120_000);
    const a = client();
    const b = client();
    await a.engine.start();
    for (let i = 0; i < 1000; i++) a.write(`burst/d${i % 10}/f${i}.dat`, randomBytes(10 * 1024));
    const remote = new RemoteClient(deviceTokenSession(stack.url, user.deviceToken));
    const t0 = Date.now();
    await eventually(async () => assert.equal((await remote.list()).files.length, 1000), 80_000, 250);
    const up = Date.now() - t0;
    const t1 = Date.now();
    await b.engine.syncNow();
    if (process.env.SYNC_FIGURES) console.log(`1,000 files of 10 KiB: up ${up} ms, down ${Date.now() - t1} ms`);
    assert.deepEqual(b.tree(), a.tree());
  });

  it('never uploads a file half-written: only its finished content reaches the server', async () => {
    const a = client();
    await a.engine.start();
    const watcherSession = deviceTokenSession(stack.url, user.deviceToken);
    const remote = new RemoteClient(watcherSession);
    const seen: Change[] = [];
    let cursor = (await remote.list()).cursor;
    const stop = new AbortController();
    const follow = (async () => {
      while (!stop.signal.aborted) {
        const res = await remote.changes(cursor, 5, stop.signal).catch(() => undefined);
        if (!res) continue;
        seen.push(...res.changes);
        cursor = res.cursor;
      }
    })();
    const chunk = randomBytes(1024 * 1024);
    const fd = fs.openSync(a.file('growing.bin'), 'w');
    for (let i = 0; i < 48; i++) {
      fs.writeSync(fd, chunk);
      await new Promise((r) => setImmediate(r));
    }
    fs.closeSync(fd);
    const finalHash = contentHashOfBlocks(blockHashesOf(fs.readFileSync(a.file('growing.bin'))));
    await eventually(() => assert.ok(seen.some((c) => c.path === 'growing.bin' && c.contentHash === finalHash)), 15_000);
    stop.abort();
    await follow;
    const commits = seen.filter((c) => c.path === 'growing.bin');
    assert.deepEqual(
      commits.map((c) => c.size),
      commits.map(() => 48 * 1024 * 1024),
      'a partial version was committed',
    );
  });

  it('goes offline while the data server is unreachable, then syncs the edits made meanwhile', async function () {
    this.timeout(60_000);
    const real = deviceTokenSession(stack.url, user.deviceToken);
    const proxy = await startFaultProxy(new URL((await real.getAccessToken()).dataServerUrl));
    const session: Session = {
      serverUrl: stack.url,
      async getAccessToken() {
        const t = await real.getAccessToken();
        return { ...t, dataServerUrl: proxy.url };
      },
    };
    const a = client({ session });
    try {
      a.write('before.txt', 'synced while online');
      await a.engine.start();
      assert.equal(a.engine.status.kind, 'upToDate');
      await proxy.down();
      a.write('during.txt', 'written while the server was down');
      a.write('before.txt', 'edited while the server was down');
      await eventually(() => assert.equal(a.engine.status.kind, 'offline'), 15_000, 50);
      await proxy.up();
      const remote = new RemoteClient(real);
      await eventually(
        async () => {
          const files = (await remote.list()).files.map((f) => f.path).sort();
          assert.deepEqual(files, ['before.txt', 'during.txt']);
          const before = await remote.meta('before.txt');
          assert.equal(before.contentHash, contentHashOfBlocks(blockHashesOf(Buffer.from('edited while the server was down'))));
        },
        30_000,
        100,
      );
      await eventually(() => assert.equal(a.engine.status.kind, 'upToDate'), 10_000);
    } finally {
      await proxy.close();
    }
  });
});
