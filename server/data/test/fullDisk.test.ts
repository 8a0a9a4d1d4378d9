// A data server whose disk fills up (a small tmpfs as its root, database included): writes are answered 507
// insufficient_storage (not quota_exceeded), /healthz says it takes no new users, no row lacks its file and no file
// lacks a row; once space is freed the same uploads succeed and nothing is left over.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { AccessTokenSigner, generateSigningKeys } from '@mydropbox/server-common';
import { blockHashesOf, contentHashOfBlocks, DataHealth, ErrorBody, ListResponse } from '@mydropbox/shared';
import { startDataServer, RunningDataServer } from '../src';
import { bytes, DataClient } from './harness';
import { filesUnder } from './childServer';

const SERVER_ID = 9;
const DISK_BYTES = 24 * 1024 * 1024;

/** Mounts a tmpfs of `bytes` at a new folder; undefined (with the reason) where this machine does not allow it. */
function mountTmpfs(bytes: number): { dir: string } | { reason: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-fulldisk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
    return { dir };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    return { reason: (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message };
  }
}

describe('data server on a full disk (a small tmpfs as its root)', function () {
  this.timeout(120_000);
  let mount: { dir: string } | undefined;
  let server: RunningDataServer | undefined;
  const keys = generateSigningKeys();
  const signer = new AccessTokenSigner(keys.privateKeyPem);

  before(function () {
    const m = mountTmpfs(DISK_BYTES);
    if ('reason' in m) {
      console.log(`      SKIPPED: cannot mount a tmpfs here (${m.reason}); the full-disk test needs root or a user mount.`);
      this.skip();
    }
    mount = m;
  });
  after(async () => {
    await server?.close().catch(() => undefined);
    if (mount) {
      execFileSync('umount', [mount.dir]);
      fs.rmSync(mount.dir, { recursive: true, force: true });
    }
  });

  it('answers insufficient_storage, takes no new users, keeps rows and files in agreement, and converges once space is freed', async () => {
    const root = path.join(mount!.dir, 'root');
    const start = () =>
      startDataServer({
        serverId: SERVER_ID,
        root,
        databaseUrl: `sqlite:${path.join(mount!.dir, 'data.sqlite')}`,
        routerPublicKeyPem: keys.publicKeyPem,
        quotaBytes: 1e12,
        minFreeBytes: 4 * 1024 * 1024,
      });
    server = await start();
    const client = () => new DataClient(server!.url, signer.sign({ sub: 'alice', sid: SERVER_ID, scope: 'user' }).token);
    const health = async () => (await (await fetch(`${server!.url}/healthz`)).json()) as DataHealth;
    assert.equal((await health()).diskNearlyFull, false);

    // Another tenant of the disk takes most of it; then uploads (big files and batches of small ones) until the disk refuses.
    fs.writeFileSync(path.join(mount!.dir, 'filler'), Buffer.alloc(12 * 1024 * 1024));
    const want = new Map<string, Buffer>();
    let refusal: ErrorBody['error'] | undefined;
    for (let i = 0; i < 40 && !refusal; i++) {
      const p = i % 2 ? `big/f${i}.bin` : `small/f${i}.txt`;
      const data = bytes(i % 2 ? 1_500_000 : 3000, 100 + i);
      try {
        const res = await client().upload(p, data);
        if (res.status === 200) want.set(p, data);
        else refusal = res.body.error as ErrorBody['error'];
      } catch (err) {
        const m = /^(?:missing|put block): (\d+) (.*)$/s.exec((err as Error).message);
        assert.ok(m, (err as Error).message);
        refusal = (JSON.parse(m[2]!) as ErrorBody).error;
      }
    }
    assert.ok(refusal, 'the disk filled up');
    assert.equal(refusal.code, 'insufficient_storage', JSON.stringify(refusal));
    assert.match(refusal.message, /out of disk space.*not your quota/);
    assert.equal((await health()).diskNearlyFull, true, 'a nearly full disk takes no new users');

    // Nothing listed lacks its bytes; nothing on disk lacks a row (after a restart's check, which must itself survive the full disk).
    const checkAgreement = async (context: string) => {
      const list = await client().json<ListResponse>('GET', '/v1/files');
      const userDir = path.join(root, String(SERVER_ID), 'alice');
      for (const f of list.body.files) {
        const data = fs.readFileSync(path.join(userDir, f.path));
        assert.equal(contentHashOfBlocks(blockHashesOf(data)), f.contentHash, `${context}: ${f.path}`);
      }
      const listed = new Set(list.body.files.map((f) => f.path));
      const orphans = filesUnder(userDir).filter((f) => !listed.has(path.relative(userDir, f)));
      assert.deepEqual(orphans, [], `${context}: files without a row`);
      return listed;
    };
    await server.close();
    server = await start();
    await checkAgreement('full disk, after a restart');

    // Space comes back: the same uploads now succeed, the server takes new users again, and nothing is left over.
    fs.rmSync(path.join(mount!.dir, 'filler'));
    for (let i = 0; i < 6; i++) {
      const p = `after/f${i}.bin`;
      const data = bytes(1_000_000, 500 + i);
      assert.equal((await client().upload(p, data)).status, 200);
      want.set(p, data);
    }
    assert.equal((await health()).diskNearlyFull, false);
    await server.close();
    server = await start();
    const listed = await checkAgreement('space freed, after a restart');
    assert.deepEqual([...listed].sort(), [...want.keys()].sort());
    for (const [p, d] of want) assert.deepEqual((await client().download(p)).data, d);
    assert.deepEqual(filesUnder(path.join(root, String(SERVER_ID), '.tmp')), []);
  });
});
