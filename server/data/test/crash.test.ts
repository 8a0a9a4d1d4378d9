// main.ts as a child process, killed with SIGKILL mid-upload and mid-commit: after a restart nothing partial shows and a retry works.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { AccessTokenSigner, generateSigningKeys } from '@mydropbox/server-common';
import { BLOCK_SIZE, ErrorBody, FileEntry, ListResponse } from '@mydropbox/shared';
import { tempDir } from '../../../test/support/databases';
import { bytes, DataClient, sha256 } from './harness';
import { Child, filesUnder, kill9, startChild } from './childServer';

const SERVER_ID = 3;

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('data server killed with SIGKILL (main.ts as a child process)', function () {
  this.timeout(90_000);
  const tmp = tempDir('mdb-crash-');
  const keys = generateSigningKeys();
  const signer = new AccessTokenSigner(keys.privateKeyPem);
  const keyFile = path.join(tmp.dir, 'router.pub.pem');
  const root = path.join(tmp.dir, 'root');
  const env = { DATA_SERVER_ID: String(SERVER_ID), DATA_PORT: '0', DATA_ROOT: root, ROUTER_PUBLIC_KEY_FILE: keyFile, LOG_LEVEL: 'info' };
  const base = path.join(root, String(SERVER_ID));
  let child: Child | undefined;
  const client = () => new DataClient(child!.url, signer.sign({ sub: 'alice', sid: SERVER_ID, scope: 'user' }).token);

  before(() => fs.writeFileSync(keyFile, keys.publicKeyPem));
  after(async () => {
    if (child && child.proc.exitCode === null) await kill9(child);
    tmp.remove();
  });

  it('refuses to start without its required settings, naming them', async () => {
    await assert.rejects(startChild({ DATA_SERVER_ID: '', DATA_ROOT: root, ROUTER_PUBLIC_KEY_FILE: keyFile }), /DATA_SERVER_ID/);
    await assert.rejects(
      startChild({ DATA_SERVER_ID: '1', DATA_PORT: '0', DATA_ROOT: root, ROUTER_PUBLIC_KEY: '', ROUTER_PUBLIC_KEY_FILE: '' }),
      /ROUTER_PUBLIC_KEY/,
    );
  });

  it('survives a kill during a block upload and during a commit that replaces a file', async () => {
    child = await startChild(env);
    const v1 = Buffer.from('version one, must survive');
    const first = await client().upload('big.bin', v1);
    assert.equal(first.status, 200);

    // 1. Killed while a block streams in.
    const block = bytes(BLOCK_SIZE, 77);
    const blockHash = sha256(block);
    let halfSent!: () => void;
    const sent = new Promise<void>((r) => (halfSent = r));
    const upload = new Promise<string>((resolve) => {
      const req = http.request(`${child!.url}/v1/blocks/${blockHash}`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${signer.sign({ sub: 'alice', sid: SERVER_ID, scope: 'user' }).token}`,
          'content-length': String(BLOCK_SIZE),
        },
      });
      req.on('error', (err) => resolve(`failed: ${err.message}`));
      req.on('response', (res) => resolve(`answered ${res.statusCode}`));
      req.write(block.subarray(0, BLOCK_SIZE / 2), () => halfSent()); // half now, the rest never
    });
    await sent;
    await new Promise((r) => setTimeout(r, 300)); // let the server take those bytes in
    await kill9(child);
    assert.match(await upload, /^failed/);

    // 2. Killed while a 256 MiB commit (64 copies of one staged block) is being assembled and fsynced.
    child = await startChild(env);
    assert.equal(fs.existsSync(path.join(base, '.staging', 'alice', blockHash)), false, 'half a block is never staged');
    assert.deepEqual((await client().json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes: [blockHash] })).body.missing, [
      blockHash,
    ]);
    assert.equal((await client().putBlock(blockHash, block)).status, 204);
    const blocks = Array.from({ length: 64 }, () => blockHash);
    const commit = client()
      .json<FileEntry>('POST', '/v1/commit', { path: 'big.bin', size: 64 * BLOCK_SIZE, blocks, baseRev: first.body.rev })
      .then(
        (r) => `answered ${r.status}`,
        (err: Error) => `failed: ${err.message}`,
      );
    await waitFor('a temp file being written', () => filesUnder(path.join(base, '.tmp')).some((f) => fs.statSync(f).size > 0));
    await kill9(child);
    assert.match(await commit, /^failed/);
    assert.ok(filesUnder(path.join(base, '.tmp')).length > 0, 'the kill left a temp file for the restart to sweep');

    // 3. Restart: the old version is intact everywhere, and no leftovers remain.
    child = await startChild(env);
    const list = await client().json<ListResponse>('GET', '/v1/files');
    assert.deepEqual(
      list.body.files.map((f) => [f.path, f.size, f.rev]),
      [['big.bin', v1.length, 1]],
    );
    assert.deepEqual(fs.readFileSync(path.join(base, 'alice', 'big.bin')), v1);
    assert.deepEqual((await client().download('big.bin')).data, v1);
    assert.deepEqual(filesUnder(path.join(base, '.tmp')), []);
    assert.deepEqual(
      filesUnder(path.join(base, '.staging')).filter((f) => f.endsWith('.part')),
      [],
    );
    assert.equal(
      fs.existsSync(path.join(base, '.staging', 'alice', blockHash)),
      true,
      'the block uploaded in full after the first kill is kept',
    );
    assert.deepEqual(filesUnder(path.join(base, 'alice')), [path.join(base, 'alice', 'big.bin')]);

    // 4. The retry succeeds; the staged block survived the restart, so nothing is sent again.
    const missing = await client().json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes: [blockHash] });
    assert.deepEqual(missing.body.missing, []);
    const retry = await client().json<FileEntry & Partial<ErrorBody>>('POST', '/v1/commit', {
      path: 'big.bin',
      size: 64 * BLOCK_SIZE,
      blocks,
      baseRev: 1,
    });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.rev, 2);
    const got = await client().download('big.bin', { range: `bytes=${63 * BLOCK_SIZE}-` });
    assert.equal(sha256(got.data), blockHash);
    assert.equal(fs.statSync(path.join(base, 'alice', 'big.bin')).size, 64 * BLOCK_SIZE);

    // 5. A clean stop on SIGTERM.
    const exited = new Promise<number | null>((resolve) => child!.proc.once('exit', (code) => resolve(code)));
    child.proc.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
