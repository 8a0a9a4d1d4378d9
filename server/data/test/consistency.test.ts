// The start-up check and fsck: every row's file in place with its size (and hash), no file without a row, repairs from
// blocks held elsewhere, and downloads that never send other bytes than the row names.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BLOCK_SIZE, ErrorBody } from '@mydropbox/shared';
import { bytes, DataClient, Harness, SERVER_ID, startHarness } from './harness';
import { openDatabase, silentLogger } from '@mydropbox/server-common';
import { createDataServices } from '../src';
import { runDataAdmin, UsageError } from '../src/admin';

describe('data server consistency: start-up check, fsck, downloads', () => {
  let h: Harness;
  let alice: DataClient;
  const onDisk = (p: string) => path.join(h.root, String(SERVER_ID), 'alice', p);

  beforeEach(async () => {
    h = await startHarness();
    alice = h.as('alice');
  });
  afterEach(async () => h?.stop());

  it('removes files without a row at start, including a file deleted while the server was down and one in a folder of its own', async () => {
    assert.equal((await alice.upload('keep.txt', Buffer.from('keep'))).status, 200);
    assert.equal((await alice.upload('gone/deleted.txt', Buffer.from('deleted during the outage'))).status, 200);
    const del = await alice.request('DELETE', '/v1/files?path=gone/deleted.txt');
    assert.equal(del.status, 200);
    await h.restart(() => {
      // What a crash leaves: the row is a tombstone but the unlink never happened; and a file renamed into place whose row never committed.
      fs.mkdirSync(path.dirname(onDisk('gone/deleted.txt')), { recursive: true });
      fs.writeFileSync(onDisk('gone/deleted.txt'), 'deleted during the outage');
      fs.mkdirSync(onDisk('never/committed'), { recursive: true });
      fs.writeFileSync(onDisk('never/committed/big.bin'), bytes(100_000, 3));
      fs.symlinkSync('/etc/passwd', onDisk('link'));
    });
    alice = h.as('alice');
    assert.equal(fs.existsSync(onDisk('gone/deleted.txt')), false);
    assert.equal(fs.existsSync(onDisk('never/committed/big.bin')), false);
    assert.equal(fs.existsSync(onDisk('link')), false);
    assert.deepEqual(fs.readFileSync(onDisk('keep.txt')), Buffer.from('keep'));
  });

  it('rebuilds at start a file whose bytes are missing or cut short when its blocks are held elsewhere', async () => {
    const data = bytes(BLOCK_SIZE + 1000, 9);
    assert.equal((await alice.upload('a/original.bin', data)).status, 200);
    assert.equal((await alice.upload('b/copy.bin', data)).status, 200);
    assert.equal((await alice.upload('c/intact.bin', data)).status, 200);
    await h.restart(() => {
      fs.truncateSync(onDisk('a/original.bin'), 10);
      fs.rmSync(onDisk('b/copy.bin'));
    });
    alice = h.as('alice');
    assert.deepEqual(fs.readFileSync(onDisk('a/original.bin')), data);
    assert.deepEqual(fs.readFileSync(onDisk('b/copy.bin')), data);
    assert.deepEqual((await alice.download('b/copy.bin')).data, data);
  });

  it('a file whose bytes differ from its row fails its download cleanly, never with the row’s length over other bytes', async () => {
    assert.equal((await alice.upload('small.txt', Buffer.from('the row names these bytes'))).status, 200);
    const big = bytes(2 * 1024 * 1024, 4);
    assert.equal((await alice.upload('big.bin', big)).status, 200);
    // Same size, other bytes (the crash of issue 12 left exactly this), and a big file cut short.
    fs.writeFileSync(onDisk('small.txt'), 'THE ROW NAMES THESE BYTES');
    fs.truncateSync(onDisk('big.bin'), 1000);
    for (const p of ['small.txt', 'big.bin']) {
      const res = await alice.download(p);
      assert.equal(res.status, 500, p);
      const body = JSON.parse(res.data.toString()) as ErrorBody;
      assert.match(body.error.message, /do not match its record/);
    }
    const range = await alice.download('small.txt', { range: 'bytes=0-3' });
    assert.equal(range.status, 500, 'a range of a damaged small file fails too');
  });

  it('fsck finds a same-size change of bytes that the start-up check (sizes only) cannot see, and repairs it from a copy', async () => {
    const data = bytes(50_000, 21);
    assert.equal((await alice.upload('one.bin', data)).status, 200);
    assert.equal((await alice.upload('two.bin', data)).status, 200);
    assert.equal((await alice.upload('alone.bin', bytes(3000, 22))).status, 200);
    const damaged = Buffer.from(data);
    damaged[100] ^= 0xff;
    await h.restart(async () => {
      fs.writeFileSync(onDisk('one.bin'), damaged);
      fs.writeFileSync(onDisk('alone.bin'), Buffer.alloc(3000));
      fs.writeFileSync(onDisk('orphan.txt'), 'no row');
      const db = openDatabase(h.databaseUrl);
      try {
        const services = createDataServices({ db, root: h.root, serverId: SERVER_ID, quotaBytes: 1e9, log: silentLogger() });
        const look = await services.fsck(false);
        assert.deepEqual(look.orphans, ['alice/orphan.txt']);
        assert.deepEqual(look.damaged.map((x) => [x.path, x.problem]).sort(), [
          ['alone.bin', 'hash'],
          ['one.bin', 'hash'],
        ]);
        assert.ok(fs.existsSync(onDisk('orphan.txt')), 'without repair nothing changes');
        const fixed = await services.fsck(true);
        assert.deepEqual(
          fixed.repaired.map((x) => x.path),
          ['one.bin'],
        );
        assert.deepEqual(
          fixed.damaged.map((x) => x.path),
          ['alone.bin'],
          'no intact copy of its block anywhere: reported, left as is',
        );
        assert.equal(fs.existsSync(onDisk('orphan.txt')), false);
        assert.deepEqual(fs.readFileSync(onDisk('one.bin')), data);
        await services.close();
      } finally {
        await db.destroy();
      }
    });
    alice = h.as('alice');
    assert.equal((await alice.download('alone.bin')).status, 500, 'the damaged file still never reaches a device');
    assert.deepEqual((await alice.download('one.bin')).data, data);
  });

  it('npm run admin -- fsck: lists what is wrong with exit 1, repairs with --repair (server stopped), then exits 0', async () => {
    const data = bytes(20_000, 31);
    assert.equal((await alice.upload('a.bin', data)).status, 200);
    assert.equal((await alice.upload('b.bin', data)).status, 200);
    const env = { DATA_SERVER_ID: String(SERVER_ID), DATA_ROOT: h.root, DATA_DATABASE_URL: h.databaseUrl, DATA_PORT: '1' };
    await h.restart(async () => {
      const damaged = Buffer.from(data);
      damaged[7] ^= 1;
      fs.writeFileSync(onDisk('a.bin'), damaged);
      fs.writeFileSync(onDisk('stray.txt'), 'no row');
      const lines: string[] = [];
      assert.equal(await runDataAdmin(['fsck'], env, (l) => lines.push(l)), 1);
      assert.match(lines.join('\n'), /WRONG alice\/a\.bin: its hash differs from its row/);
      assert.match(lines.join('\n'), /no row names alice\/stray\.txt/);
      lines.length = 0;
      assert.equal(await runDataAdmin(['fsck', '--repair'], env, (l) => lines.push(l)), 0);
      assert.match(lines.join('\n'), /rebuilt alice\/a\.bin \(hash\)/);
      assert.match(lines.join('\n'), /removed alice\/stray\.txt/);
      lines.length = 0;
      assert.equal(await runDataAdmin(['fsck'], env, (l) => lines.push(l)), 0);
      assert.match(lines.join('\n'), /every file matches its row/);
      await assert.rejects(
        runDataAdmin(['fsck', '--what'], env, () => undefined),
        UsageError,
      );
    });
    alice = h.as('alice');
    assert.deepEqual((await alice.download('a.bin')).data, data);
  });
});
