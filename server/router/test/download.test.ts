// Web downloads through the router's proxy from a real data server, compared byte for byte (whole, Range, Unicode names).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BLOCK_SIZE, blockHashesOf, sha256Hex } from '@mydropbox/shared';
import { RunningDataServer, startDataServer } from '@mydropbox/data-server';
import { createTestDatabase, TestDatabase, tempDir } from '../../../test/support/databases';
import { RouterHarness, call, startRouter } from './harness';

/** Uploads through the data-server API exactly as a client does: missing blocks, PUT each, commit. */
async function upload(dataUrl: string, accessToken: string, path: string, data: Buffer): Promise<void> {
  const auth = { authorization: `Bearer ${accessToken}` };
  const blocks = blockHashesOf(data);
  const missing = await fetch(`${dataUrl}/v1/blocks/missing`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ hashes: blocks }),
  });
  assert.equal(missing.status, 200, await missing.clone().text());
  const { missing: need } = (await missing.json()) as { missing: string[] };
  for (const [i, hash] of blocks.entries()) {
    if (!need.includes(hash)) continue;
    const res = await fetch(`${dataUrl}/v1/blocks/${hash}`, {
      method: 'PUT',
      headers: auth,
      body: data.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE),
    });
    assert.equal(res.status, 204, await res.text());
  }
  const commit = await fetch(`${dataUrl}/v1/commit`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ path, size: data.length, blocks, baseRev: null, modifiedAt: Date.now() }),
  });
  assert.equal(commit.status, 200, await commit.clone().text());
}

describe('downloads through the router from a real data server', () => {
  let h: RouterHarness;
  let data: RunningDataServer;
  let dataDb: TestDatabase;
  let root: { dir: string; remove(): void };
  let token: string;
  let accessToken: string;
  const big = randomBytes(9 * 1024 * 1024 + 123); // three blocks, the last one short
  const small = Buffer.from('hello, router\n');
  const empty = Buffer.alloc(0);

  before(async () => {
    h = await startRouter({ kind: 'mariadb' });
    dataDb = await createTestDatabase('mariadb');
    root = tempDir('mdb-router-data-');
    data = await startDataServer({ serverId: 1, root: root.dir, databaseUrl: dataDb.url, routerPublicKeyPem: h.keys.publicKeyPem });
    const port = Number(new URL(data.url).port);
    await h.services.dataServers.register({ id: 1, host: '127.0.0.1', port, capacityGb: 1000 });
    await h.services.dataServers.checkNow();
    assert.equal(h.services.dataServers.isHealthy(1), true, 'the real data server answers /healthz');
    await h.services.accounts.signUp({ username: 'mia', email: 'mia@example.com', password: 'plain sailing on the sea' });
    token = (
      await h.services.accounts.signIn({
        username: 'mia',
        password: 'plain sailing on the sea',
        clientAddress: '127.0.0.1',
        deviceKind: 'daemon',
      })
    ).deviceToken;
    accessToken = (await h.services.accessTokens.issue(token)).accessToken;
    await upload(data.url, accessToken, 'photos/big.bin', big);
    await upload(data.url, accessToken, 'notes/Grüße «ünïcødé» "quoted".txt', small);
    await upload(data.url, accessToken, 'empty.txt', empty);
  });
  after(async () => {
    await data?.close();
    await h?.close();
    await dataDb?.drop();
    root?.remove();
  });

  const download = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${h.url}/api/v1/files/content?path=${encodeURIComponent(path)}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

  it('lists the user’s files through the router', async () => {
    const res = await call(`${h.url}/api/v1/files`, 'GET', { token });
    assert.equal(res.status, 200);
    const byPath = new Map(res.body.files.map((f: { path: string; size: number }) => [f.path, f.size]));
    assert.equal(byPath.get('photos/big.bin'), big.length);
    assert.equal(byPath.get('notes/Grüße «ünïcødé» "quoted".txt'), small.length);
    assert.equal(byPath.get('empty.txt'), 0);
    const usage = await h.services.files.usage('mia');
    assert.equal(usage.usedBytes, big.length + small.length);
  });

  it('streams a whole multi-block file byte for byte, as an attachment that is never sniffed', async () => {
    const res = await download('photos/big.bin');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="big.bin"; filename*=UTF-8''big.bin`);
    assert.equal(res.headers.get('content-length'), String(big.length));
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(sha256Hex(body), sha256Hex(big));
  });

  it('passes Range through and answers 206 with the exact slice', async () => {
    const start = BLOCK_SIZE - 10;
    const end = BLOCK_SIZE + 99; // across a block boundary
    const res = await download('photos/big.bin', { range: `bytes=${start}-${end}` });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes ${start}-${end}/${big.length}`);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), big.subarray(start, end + 1));
    const tail = await download('photos/big.bin', { range: 'bytes=-5' });
    assert.equal(tail.status, 206);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), big.subarray(big.length - 5));
    const beyond = await download('photos/big.bin', { range: `bytes=${big.length + 10}-` });
    assert.equal(beyond.status, 416);
  });

  it('names Unicode and quoted files safely and serves empty files', async () => {
    const res = await download('notes/Grüße «ünïcødé» "quoted".txt');
    assert.equal(res.status, 200);
    const disposition = res.headers.get('content-disposition') ?? '';
    assert.match(disposition, /^attachment; filename="Gru_e _unic_de_ _quoted_.txt"; filename\*=UTF-8''/);
    assert.equal(decodeURIComponent(disposition.split("UTF-8''")[1]), 'Grüße «ünïcødé» "quoted".txt');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), small);
    const e = await download('empty.txt');
    assert.equal(e.status, 200);
    assert.equal((await e.arrayBuffer()).byteLength, 0);
  });

  it('answers 404 for a missing file and 401 without a device token', async () => {
    const missing = await download('nope.txt');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
    const anonymous = await fetch(`${h.url}/api/v1/files/content?path=empty.txt`);
    assert.equal(anonymous.status, 401);
  });

  it('keeps users apart: another user sees neither the listing nor the files', async () => {
    await h.services.accounts.signUp({ username: 'ned', email: 'ned@example.com', password: 'plain sailing on the sea' });
    const ned = (
      await h.services.accounts.signIn({
        username: 'ned',
        password: 'plain sailing on the sea',
        clientAddress: '127.0.0.1',
        deviceKind: 'web',
      })
    ).deviceToken;
    const list = await call(`${h.url}/api/v1/files`, 'GET', { token: ned });
    assert.deepEqual(list.body.files, []);
    const res = await fetch(`${h.url}/api/v1/files/content?path=photos%2Fbig.bin`, { headers: { authorization: `Bearer ${ned}` } });
    assert.equal(res.status, 404);
  });

  it('deletes through the gateway, after which the file is gone', async () => {
    const { rev } = await h.services.files.delete('mia', 'empty.txt');
    assert.ok(rev > 0);
    assert.equal((await download('empty.txt')).status, 404);
  });

  it('survives a client going away mid-download', async () => {
    const res = await download('photos/big.bin', { range: 'bytes=0-' });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    // The router is still healthy and serves the next request in full.
    const again = await download('notes/Grüße «ünïcødé» "quoted".txt');
    assert.deepEqual(Buffer.from(await again.arrayBuffer()), small);
  });
});
