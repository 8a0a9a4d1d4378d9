// A data server whose disk fills up, seen through the website and WebDAV: the answer is 507 insufficient_storage with
// words saying the server (not the person's quota) is out of space; once space is freed the same upload goes through.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { blockHashesOf } from '@mydropbox/shared';
import { startStack, type Stack } from '../support/stack';
import { csrfToken, signedUpBrowser } from '../../server/web/test/webClient';
import { davRequest, davUser } from './davSupport';

interface Answer {
  error?: { code: string; message: string };
  results?: { file?: unknown; error?: { code: string; message: string } }[];
}

describe('a full data server disk through the website and WebDAV (a small tmpfs as its root)', function () {
  this.timeout(60_000);
  let stack: Stack | undefined;
  let mounted: string | undefined;

  before(async function () {
    stack = await startStack();
    const root = stack.dataServers[0]!.root;
    fs.mkdirSync(root, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${12 * 1024 * 1024}`, 'tmpfs', root], { stdio: 'pipe' });
      mounted = root;
    } catch (err) {
      console.log(`      SKIPPED: cannot mount a tmpfs here (${(err as { stderr?: Buffer }).stderr?.toString().trim()}); needs root.`);
      this.skip();
    }
    await stack.dataServers[0]!.restart(); // its folders, on the new disk
  });
  after(async () => {
    await stack?.close();
    if (mounted) execFileSync('umount', [mounted]);
  });

  it('answers insufficient_storage in words, distinct from the quota, and takes the upload once space is freed', async () => {
    const filler = path.join(mounted!, 'filler');
    fs.writeFileSync(filler, Buffer.alloc(11 * 1024 * 1024));
    const web = await signedUpBrowser(stack!.url, 'fulldisk');
    const csrf = csrfToken((await web.get('/files')).html);
    const data = randomBytes(2 * 1024 * 1024);
    const head = Buffer.alloc(36);
    Buffer.from(blockHashesOf(data)[0]!, 'hex').copy(head);
    head.writeUInt32BE(data.length, 32);
    const send = async () => {
      const sent = await web.request('/files/upload/blocks', {
        method: 'POST',
        headers: { 'x-csrf-token': csrf, accept: 'application/json' },
        body: Buffer.concat([head, data]),
      });
      if (sent.status !== 204) return { status: sent.status, json: (await sent.json()) as Answer };
      const commit = await web.request('/files/upload/commit-batch', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ commits: [{ path: 'big.bin', size: data.length, blocks: blockHashesOf(data), baseRev: null }] }),
      });
      return { status: commit.status, json: (await commit.json()) as Answer };
    };
    const full = await send();
    const err = full.json.error ?? full.json.results?.[0]?.error;
    assert.ok(err, JSON.stringify(full));
    assert.equal(err.code, 'insufficient_storage');
    assert.match(err.message, /server is out of disk space.*not your quota/);

    const user = await davUser(stack!);
    const put = await davRequest(stack!.url, 'PUT', '/dav/big.bin', { auth: user.authorization, body: data });
    assert.equal(put.status, 507, put.text);
    assert.match(put.text, /out of disk space/);

    fs.rmSync(filler);
    const after = await send();
    assert.equal(after.status, 200, JSON.stringify(after.json));
    assert.ok(after.json.results?.[0]?.file, JSON.stringify(after.json));
    const got = await web.request('/files/download?path=big.bin');
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(data));
  });
});
