// A big file with a few changed blocks is patched in place under the journal: same inode, new bytes, and after a crash rolled forward or back as its row says.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BLOCK_SIZE, blockHashesOf, contentHashOfBlocks, type FileEntry } from '@mydropbox/shared';
import { WriteJournal } from '../src/store/writeJournal';
import { bytes, DataClient, Harness, SERVER_ID, startHarness } from './harness';

const SIZE = 2 * BLOCK_SIZE + 12_345;
const hashOf = (data: Buffer) => contentHashOfBlocks(blockHashesOf(data));

/** `data` with one byte flipped in block `block`. */
function edited(data: Buffer, block: number, seed = 1): Buffer {
  const out = Buffer.from(data);
  const at = block * BLOCK_SIZE + 1000 + seed;
  out[at] = out[at]! ^ 0xff;
  return out;
}

describe('data server in-place patch of a changed block', function () {
  this.timeout(60_000);
  let h: Harness;
  let user: string;
  let client: DataClient;
  const onDisk = (p: string) => path.join(h.root, String(SERVER_ID), user, p);
  const journalDir = () => path.join(h.root, String(SERVER_ID), '.journal');
  const journals = () => (fs.existsSync(journalDir()) ? fs.readdirSync(journalDir()) : []);
  const commit = async (p: string, data: Buffer, baseRev: number | null): Promise<FileEntry> => {
    const res = await client.upload(p, data, baseRev);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  before(async () => {
    h = await startHarness();
  });
  beforeEach(() => {
    user = `pa${Math.random().toString(36).slice(2, 8)}`;
    client = h.as(user);
  });
  after(async () => h?.stop());

  it('writes only the changed block into the live file, and the row, listing and download follow', async () => {
    const v1 = bytes(SIZE, 1);
    await commit('big.bin', v1, null);
    const ino = fs.statSync(onDisk('big.bin')).ino;
    const v2 = edited(v1, 1);
    const e2 = await commit('big.bin', v2, 1);
    assert.equal(e2.rev, 2);
    assert.equal(e2.contentHash, hashOf(v2));
    assert.equal(fs.statSync(onDisk('big.bin')).ino, ino, 'patched in place, not a new copy');
    assert.deepEqual(fs.readFileSync(onDisk('big.bin')), v2);
    assert.deepEqual((await client.download('big.bin')).data, v2);
    // Patched again: the file is still exactly what this process wrote.
    const v3 = edited(v2, 2, 7);
    await commit('big.bin', v3, 2);
    assert.equal(fs.statSync(onDisk('big.bin')).ino, ino);
    assert.deepEqual((await client.download('big.bin')).data, v3);
    assert.deepEqual(journals(), [], 'a patch leaves no journal behind');
  });

  it('builds a new copy while the file is being downloaded, so the download stays whole', async () => {
    const v1 = bytes(SIZE, 2);
    await commit('dl.bin', v1, null);
    const ino = fs.statSync(onDisk('dl.bin')).ino;
    const res = await client.request('GET', `/v1/files/content?path=dl.bin`);
    const reader = res.body!.getReader();
    const first = await reader.read(); // the download has started and holds the file open
    const v2 = edited(v1, 0);
    await commit('dl.bin', v2, 1);
    assert.notEqual(fs.statSync(onDisk('dl.bin')).ino, ino, 'a new copy, renamed over the old one');
    const chunks = [Buffer.from(first.value!)];
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(Buffer.from(r.value));
    assert.deepEqual(Buffer.concat(chunks), v1, 'the download in flight got the old version whole');
    assert.deepEqual((await client.download('dl.bin')).data, v2);
  });

  it('does not patch a file it cannot vouch for (after a restart), and does once it wrote it again', async () => {
    const v1 = bytes(SIZE, 3);
    await commit('r.bin', v1, null);
    await h.restart();
    client = h.as(user);
    const ino = fs.statSync(onDisk('r.bin')).ino;
    const v2 = edited(v1, 1);
    await commit('r.bin', v2, 1);
    const ino2 = fs.statSync(onDisk('r.bin')).ino;
    assert.notEqual(ino2, ino, 'after a restart every block is checked again: a new copy');
    await commit('r.bin', edited(v2, 0), 2);
    assert.equal(fs.statSync(onDisk('r.bin')).ino, ino2, 'the new copy is this process’s own: patched in place');
  });

  it('after a crash, rolls a patch forward when its row committed and back when it did not', async () => {
    const a1 = bytes(SIZE, 4);
    const a2 = edited(a1, 1);
    await commit('fwd.bin', a1, null);
    await commit('fwd.bin', a2, 1);
    const b1 = bytes(SIZE, 5);
    const b2 = edited(b1, 2);
    await commit('back.bin', b1, null);
    const block = (data: Buffer, i: number) => Buffer.from(data.subarray(i * BLOCK_SIZE, Math.min(data.length, (i + 1) * BLOCK_SIZE)));

    await h.restart(async () => {
      const journal = new WriteJournal(journalDir());
      await journal.write([
        {
          kind: 'patch',
          owner: user,
          path: 'fwd.bin',
          fromHash: hashOf(a1),
          toHash: hashOf(a2),
          parts: [{ offset: BLOCK_SIZE, before: block(a1, 1), after: block(a2, 1) }],
        },
        {
          kind: 'patch',
          owner: user,
          path: 'back.bin',
          fromHash: hashOf(b1),
          toHash: hashOf(b2),
          parts: [{ offset: 2 * BLOCK_SIZE, before: block(b1, 2), after: block(b2, 2) }],
        },
      ]);
      // fwd.bin: the row says a2 but the patched bytes never reached the disk; back.bin: patched, but the row never committed.
      const fwd = fs.openSync(onDisk('fwd.bin'), 'r+');
      fs.writeSync(fwd, block(a1, 1), 0, BLOCK_SIZE, BLOCK_SIZE);
      fs.closeSync(fwd);
      const back = fs.openSync(onDisk('back.bin'), 'r+');
      fs.writeSync(back, block(b2, 2), 0, block(b2, 2).length, 2 * BLOCK_SIZE);
      fs.closeSync(back);
    });

    assert.deepEqual(fs.readFileSync(onDisk('fwd.bin')), a2, 'rolled forward to what the row says');
    assert.deepEqual(fs.readFileSync(onDisk('back.bin')), b1, 'rolled back to what the row says');
    assert.deepEqual(journals(), []);
  });
});
