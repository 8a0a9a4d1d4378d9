// Big-file uploads through an upload session against the whole stack: the server's check of each block stands in for the client's.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { BLOCK_SIZE } from '@mydropbox/shared';
import { startStack, type Stack, type StackUser } from '../../../test/support/stack';
import { deviceTokenSession } from '../../src/sync';
import { RemoteClient } from '../../src/sync/remote';
import { hashFile, FileChangingError } from '../../src/sync/hasher';
import { uploadFile } from '../../src/sync/transfer';
import { outcomeOf } from '../../src/sync/executor';

describe('sync engine big uploads', function () {
  this.timeout(60_000);
  let stack: Stack;
  let user: StackUser;
  let dir: string;

  before(async () => {
    stack = await startStack();
  });
  beforeEach(async () => {
    user = await stack.signUpAndSignIn();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-upload-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  after(async () => {
    await stack?.close();
  });

  it('sends the blocks of a scanned file through a session and commits exactly the scanned content', async () => {
    const data = randomBytes(3 * BLOCK_SIZE + 1234);
    fs.writeFileSync(path.join(dir, 'big.bin'), data);
    const local = (await hashFile(path.join(dir, 'big.bin')))!;
    const remote = new RemoteClient(deviceTokenSession(stack.url, user.deviceToken));
    const file = await uploadFile(remote, dir, 'big.bin', local, null);
    assert.equal(file.contentHash, local.contentHash);
    assert.equal(remote.stats.blockBytesSent, data.length);
    const { body } = await remote.download('big.bin');
    const chunks: Uint8Array[] = [];
    for await (const c of body) chunks.push(c);
    assert.ok(Buffer.concat(chunks).equals(data));
  });

  it('treats a block the server refuses (the file was rewritten since the scan, same size) as a local change, and commits nothing', async () => {
    const abs = path.join(dir, 'big.bin');
    fs.writeFileSync(abs, randomBytes(3 * BLOCK_SIZE));
    const local = (await hashFile(abs))!;
    // Rewritten in place after the scan: same size, other bytes in the middle block.
    const fd = fs.openSync(abs, 'r+');
    fs.writeSync(fd, randomBytes(1000), 0, 1000, BLOCK_SIZE + 10);
    fs.closeSync(fd);
    const remote = new RemoteClient(deviceTokenSession(stack.url, user.deviceToken));
    const err = await uploadFile(remote, dir, 'big.bin', local, null).then(
      () => assert.fail('the upload of a changed file must not succeed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FileChangingError, String(err));
    // The client sent the rewritten block (it no longer hashes session blocks itself): the server refused it.
    assert.ok(remote.stats.bytesSent >= 2 * BLOCK_SIZE, `only ${remote.stats.bytesSent} bytes were sent`);
    assert.equal(outcomeOf(err), 'localChanged');
    assert.deepEqual(
      (await remote.list()).files.map((f) => f.path),
      [],
    );
  });
});
