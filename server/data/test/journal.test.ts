// The write journal: a batch's small files made durable with one fsync, and after a crash rewritten from it as their rows say.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { blockHashesOf, contentHashOfBlocks, type CommitBatchResponse } from '@mydropbox/shared';
import { WriteJournal } from '../src/store/writeJournal';
import { batchBody, bytes, DataClient, Harness, SERVER_ID, startHarness } from './harness';

async function commitSmall(client: DataClient, files: { path: string; data: Buffer }[]): Promise<void> {
  const sent = await client.request('POST', '/v1/blocks/batch', {
    body: batchBody(files.filter((f) => f.data.length).map((f) => f.data)),
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(sent.status, 204, await sent.text());
  const commits = files.map((f) => ({ path: f.path, size: f.data.length, blocks: blockHashesOf(f.data), baseRev: null }));
  const out = await client.json<CommitBatchResponse>('POST', '/v1/commit/batch', { commits });
  assert.equal(out.status, 200);
  for (const r of out.body.results) assert.ok('file' in r, JSON.stringify(r));
}

const hashOf = (data: Buffer) => contentHashOfBlocks(blockHashesOf(data));

describe('data server write journal', () => {
  let h: Harness;
  let user: string;
  let client: DataClient;
  const journalDir = () => path.join(h.root, String(SERVER_ID), '.journal');
  const journals = () => (fs.existsSync(journalDir()) ? fs.readdirSync(journalDir()) : []);
  const onDisk = (p: string) => path.join(h.root, String(SERVER_ID), user, p);

  before(async () => {
    h = await startHarness();
  });
  beforeEach(() => {
    user = `jo${Math.random().toString(36).slice(2, 8)}`;
    client = h.as(user);
  });
  after(async () => h?.stop());

  it('journals a batch of small files and removes the journal once every file is fsynced', async () => {
    const files = Array.from({ length: 60 }, (_, i) => ({ path: `d${i % 4}/f${i}.bin`, data: bytes(i * 97, i + 1) }));
    await commitSmall(client, files);
    for (const f of files) assert.deepEqual(fs.readFileSync(onDisk(f.path)), f.data, f.path);
    const started = Date.now();
    while (journals().length && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(journals(), [], 'the checkpoint removes the journal');
    for (const f of files.slice(0, 5)) assert.deepEqual((await client.download(f.path)).data, f.data);
  });

  it('after a crash, rewrites from the journal the files whose rows it matches and nothing else', async () => {
    const a = bytes(3000, 11);
    const b = bytes(5000, 12);
    const c = bytes(700, 13);
    const c2 = bytes(800, 14);
    const ghost = bytes(900, 15);
    await commitSmall(client, [
      { path: 'a.txt', data: a },
      { path: 'd/b.txt', data: b },
      { path: 'c.txt', data: c },
    ]);
    assert.equal((await client.upload('c.txt', c2, 1)).status, 200);

    await h.restart(async () => {
      // The state a power cut can leave: the rows committed, the journal on disk, the files' bytes or names lost.
      const journal = new WriteJournal(journalDir());
      const record = (p: string, data: Buffer, contentHash = hashOf(data)) => ({
        kind: 'file' as const,
        owner: user,
        path: p,
        contentHash,
        data,
      });
      await journal.write([record('a.txt', a), record('d/b.txt', b), record('c.txt', c), record('ghost.txt', ghost)]);
      // A journal cut short by the crash: it claims a.txt's hash for other bytes; its checksum must keep it from being replayed.
      const torn = await journal.write([record('a.txt', bytes(3000, 99), hashOf(a))]);
      fs.renameSync(torn.file, torn.file.replace(/^(.*\/)/, '$1zz-')); // sorts last, so it would win if replayed
      const tornFile = torn.file.replace(/^(.*\/)/, '$1zz-');
      fs.truncateSync(tornFile, fs.statSync(tornFile).size - 1);
      fs.truncateSync(onDisk('a.txt'), 0);
      fs.rmSync(path.dirname(onDisk('d/b.txt')), { recursive: true });
    });

    assert.deepEqual(fs.readFileSync(onDisk('a.txt')), a, 'a lost file body is rewritten');
    assert.deepEqual(fs.readFileSync(onDisk('d/b.txt')), b, 'a lost rename (and its folder) is redone');
    assert.deepEqual(fs.readFileSync(onDisk('c.txt')), c2, 'a file whose row moved on keeps its newer bytes');
    assert.equal(fs.existsSync(onDisk('ghost.txt')), false, 'a file whose row never committed is not created');
    assert.deepEqual(journals(), [], 'replayed journals are removed');
    assert.deepEqual((await h.as(user).download('a.txt')).data, a);
    assert.deepEqual((await h.as(user).download('d/b.txt')).data, b);
  });

  it('writes new files in place, over a crash leftover without a row, and beside bigger files in new folders', async () => {
    fs.mkdirSync(path.dirname(onDisk('stray.txt')), { recursive: true });
    fs.writeFileSync(onDisk('stray.txt'), 'a leftover of a crash: on disk, never committed');
    const small = bytes(2000, 21);
    const stray = bytes(3000, 22);
    const big = bytes(2 * 1024 * 1024, 23); // one block, too big to journal: fsynced on its own, its new folders too
    await commitSmall(client, [
      { path: 'new/deep/small.bin', data: small },
      { path: 'stray.txt', data: stray },
      { path: 'new/deep/er/big.bin', data: big },
    ]);
    assert.deepEqual(fs.readFileSync(onDisk('new/deep/small.bin')), small);
    assert.deepEqual(fs.readFileSync(onDisk('stray.txt')), stray, 'the leftover is replaced');
    assert.deepEqual(fs.readFileSync(onDisk('new/deep/er/big.bin')), big);
    assert.deepEqual(fs.readdirSync(path.join(h.root, String(SERVER_ID), '.tmp')), [], 'no temp file left behind');
  });

  it('leaves nothing to replay after a clean shutdown', async () => {
    await commitSmall(client, [{ path: 'x.txt', data: bytes(100, 5) }]);
    await h.restart(() => assert.deepEqual(journals(), [], 'close waits for the checkpoint'));
    assert.deepEqual((await h.as(user).download('x.txt')).data, bytes(100, 5));
  });
});
