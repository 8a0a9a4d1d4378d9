// main.ts as a child process killed (SIGKILL) inside a purge and inside restores: after a restart no kept version or live file has lost a byte, and no pack is left that no row names.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AccessTokenSigner, generateSigningKeys } from '@mydropbox/server-common';
import { BLOCK_SIZE, type DeletedResponse, type RestoreResponse, type VersionsResponse } from '@mydropbox/shared';
import { tempDir } from '../../../test/support/databases';
import { bytes, DataClient } from './harness';
import { exited, kill9, startChild, type Child } from './childServer';

const SERVER_ID = 4;
const DAY_S = 24 * 60 * 60;

/** A kill at a crash point (MYDROPBOX_CRASH_AT) or by the test: the signal the child ended with. */
async function endedBy(child: Child): Promise<NodeJS.Signals | null> {
  await exited(child);
  return child.proc.signalCode;
}

describe('data server killed with SIGKILL during a purge and during restores (main.ts as a child process)', function () {
  this.timeout(120_000);
  const keys = generateSigningKeys();
  const signer = new AccessTokenSigner(keys.privateKeyPem);
  let tmp: { dir: string; remove(): void };
  let child: Child | undefined;
  let env: Record<string, string>;
  const client = () => new DataClient(child!.url, signer.sign({ sub: 'carol', sid: SERVER_ID, scope: 'user', dn: 'Desk' }).token);
  const packs = () => {
    const dir = path.join(tmp.dir, 'root', String(SERVER_ID), '.versions', 'carol');
    return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  };
  const start = async (extra: Record<string, string> = {}) => {
    child = await startChild({ MYDROPBOX_CRASH_AT: '', ...env, ...extra });
    return client();
  };
  const versions = async (c: DataClient, p: string) => (await c.json<VersionsResponse>('GET', `/v1/versions?path=${p}`)).body;
  const versionBytes = async (c: DataClient, id: string) =>
    Buffer.from(await (await c.request('GET', `/v1/versions/content?id=${id}`)).arrayBuffer());
  const put = async (c: DataClient, p: string, data: Buffer, baseRev: number | null) => {
    const res = await c.upload(p, data, baseRev);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };

  beforeEach(() => {
    tmp = tempDir('mdb-vcrash-');
    const keyFile = path.join(tmp.dir, 'router.pub.pem');
    fs.writeFileSync(keyFile, keys.publicKeyPem);
    env = {
      DATA_SERVER_ID: String(SERVER_ID),
      DATA_PORT: '0',
      DATA_ROOT: path.join(tmp.dir, 'root'),
      ROUTER_PUBLIC_KEY_FILE: keyFile,
      LOG_LEVEL: 'info',
      VERSION_PURGE_INTERVAL_SECONDS: '0',
    };
  });
  afterEach(async () => {
    if (child) await kill9(child);
    tmp.remove();
  });

  it('a kill between the purge’s rows and its pack files loses no kept block; the restart sweeps the packs no row names', async () => {
    const v1 = bytes(3 * BLOCK_SIZE, 1);
    const edit = (data: Buffer, seed: number) => {
      const out = Buffer.from(data);
      out[10 + seed] ^= 0xff; // block 0 only
      return out;
    };
    const v2 = edit(v1, 1);
    const v3 = edit(v2, 2);
    // First run (30 days): v1, a.txt's old content and a deleted file are kept; some seconds later v2
    // and a deleted g2.txt whose one block is the deleted gone.txt's (kept once, for both).
    let c = await start();
    await put(c, 'big.bin', v1, null);
    await put(c, 'big.bin', v2, 1);
    await put(c, 'a.txt', Buffer.from('A1'), null);
    await put(c, 'a.txt', Buffer.from('A2'), 1);
    await put(c, 'gone.txt', Buffer.from('G'), null);
    await c.request('DELETE', '/v1/files?path=gone.txt').then((r) => r.arrayBuffer());
    await new Promise((r) => setTimeout(r, 6_000));
    await put(c, 'big.bin', v3, 2);
    await put(c, 'g2.txt', Buffer.from('G'), null);
    await c.request('DELETE', '/v1/files?path=g2.txt').then((r) => r.arrayBuffer());
    if (child) await kill9(child);
    const packsAtCrash = packs();
    assert.equal(packsAtCrash.length, 4, 'v1’s and v2’s overwritten blocks, A1, G');
    // Second run keeps versions for 5 seconds: its start-up purge expires the first group, not the
    // second, and is killed between deleting the rows and removing the packs.
    await assert.rejects(
      start({ VERSION_RETENTION_DAYS: String(5 / DAY_S), MYDROPBOX_CRASH_AT: 'purge-after-rows' }),
      /exited with SIGKILL/,
      'the start-up purge killed the server after deleting its rows',
    );
    assert.deepEqual(packs(), packsAtCrash, 'the kill came before any pack file was removed');

    c = await start();
    const big = await versions(c, 'big.bin');
    assert.deepEqual(
      big.versions.map((v) => v.rev),
      [2],
      'v1 expired; v2 is kept',
    );
    assert.deepEqual(await versionBytes(c, big.versions[0]!.id), v2, 'v2 whole, with the blocks it shares with the purged v1');
    assert.deepEqual((await versions(c, 'a.txt')).versions, []);
    assert.deepEqual((await versions(c, 'gone.txt')).versions, []);
    const g2 = (await versions(c, 'g2.txt')).versions;
    assert.equal(g2.length, 1);
    assert.deepEqual(await versionBytes(c, g2[0]!.id), Buffer.from('G'), 'the block it shares with the purged gone.txt stays');
    assert.deepEqual((await c.download('big.bin')).data, v3);
    assert.deepEqual((await c.download('a.txt')).data, Buffer.from('A2'));
    assert.equal(packs().length, 2, 'v2’s block and G stay; the packs no row names any more were swept');
    // And v2 can be restored byte for byte.
    const r = await c.json<RestoreResponse>('POST', '/v1/restore', { path: 'big.bin', versionId: big.versions[0]!.id });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual((await c.download('big.bin')).data, v2);
  });

  it('a kill during a restore, after its file is in place but before its row, loses nothing; the restore can be made again', async () => {
    let c = await start();
    const doc = bytes(BLOCK_SIZE + 77, 5);
    await put(c, 'doc.bin', doc, null);
    await c.request('DELETE', '/v1/files?path=doc.bin').then((r) => r.arrayBuffer());
    if (child) await kill9(child);

    c = await start({ MYDROPBOX_CRASH_AT: 'publish-after-rename' });
    await assert.rejects(c.json('POST', '/v1/restore', { path: 'doc.bin' }));
    assert.equal(await endedBy(child!), 'SIGKILL');

    c = await start();
    const deleted = (await c.json<DeletedResponse>('GET', '/v1/deleted')).body;
    assert.deepEqual(
      deleted.deleted.map((d) => d.path),
      ['doc.bin'],
      'the restore never committed: still deleted',
    );
    assert.deepEqual(await versionBytes(c, deleted.deleted[0]!.versionId), doc);
    const again = await c.json<RestoreResponse>('POST', '/v1/restore', { path: 'doc.bin' });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.restoredTo, 'doc.bin');
    assert.deepEqual((await c.download('doc.bin')).data, doc);
  });

  it('a kill during a commit and a restore over a live file, after their rows: the next start finishes them, the replaced content kept', async () => {
    let c = await start();
    const v1 = bytes(3 * BLOCK_SIZE + 5, 9);
    const v2 = Buffer.from(v1);
    v2[BLOCK_SIZE + 3] ^= 0xff; // block 1 only
    await put(c, 'big.bin', v1, null);
    await put(c, 'r.txt', Buffer.from('R1'), null);
    await put(c, 'r.txt', Buffer.from('R2'), 1);
    const [r1] = (await versions(c, 'r.txt')).versions;
    if (child) await kill9(child);

    // A commit (a new copy: after a restart the file is not patched in place) killed after its rows.
    c = await start({ MYDROPBOX_CRASH_AT: 'publish-after-rows' });
    await assert.rejects(c.upload('big.bin', v2, 1));
    // The next start finishes it; then a restore over r.txt is killed the same way.
    c = await start({ MYDROPBOX_CRASH_AT: 'publish-after-rows' });
    assert.deepEqual((await c.download('big.bin')).data, v2, 'the content its row names, byte for byte');
    const kept = (await versions(c, 'big.bin')).versions;
    assert.deepEqual(await versionBytes(c, kept[0]!.id), v1, 'what it replaced is a version');
    await assert.rejects(c.json('POST', '/v1/restore', { path: 'r.txt', versionId: r1!.id }));

    c = await start();
    assert.deepEqual((await c.download('r.txt')).data, Buffer.from('R1'), 'the restore, finished');
    const list = (await versions(c, 'r.txt')).versions;
    assert.deepEqual(
      list.map((v) => v.reason),
      ['restore', 'edit'],
    );
    assert.deepEqual(await versionBytes(c, list[0]!.id), Buffer.from('R2'), 'the content the restore replaced is kept');
    assert.deepEqual(await versionBytes(c, list[1]!.id), Buffer.from('R1'));
  });

  it('a kill during a restore over a live file, after keeping it but before replacing it, loses nothing', async () => {
    let c = await start();
    await put(c, 'r.txt', Buffer.from('R1'), null);
    await put(c, 'r.txt', Buffer.from('R2'), 1);
    const [r1] = (await versions(c, 'r.txt')).versions;
    const packsBefore = packs();
    if (child) await kill9(child);

    c = await start({ MYDROPBOX_CRASH_AT: 'publish-after-keep' });
    await assert.rejects(c.json('POST', '/v1/restore', { path: 'r.txt', versionId: r1!.id }));
    assert.equal(await endedBy(child!), 'SIGKILL');
    assert.equal(packs().length, packsBefore.length + 1, 'R2 was being kept when the kill came');

    c = await start();
    assert.deepEqual(packs(), packsBefore, 'the pack no row names was swept');
    assert.deepEqual((await c.download('r.txt')).data, Buffer.from('R2'));
    const list = await versions(c, 'r.txt');
    assert.deepEqual(
      list.versions.map((v) => v.id),
      [r1!.id],
    );
    assert.deepEqual(await versionBytes(c, r1!.id), Buffer.from('R1'));
    const again = await c.json<RestoreResponse>('POST', '/v1/restore', { path: 'r.txt', versionId: r1!.id });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual((await c.download('r.txt')).data, Buffer.from('R1'));
    assert.deepEqual(
      (await versions(c, 'r.txt')).versions.map((v) => v.reason),
      ['restore', 'edit'],
    );
  });
});
