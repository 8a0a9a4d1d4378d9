// The sync engine against the whole stack: real servers, real folders, two devices.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startStack, type Stack, type StackUser } from '../support/stack';
import { eventually, makeClient, type TestClient } from '../../extension/test/sync/client';

describe('sync engine end to end', function () {
  this.timeout(60_000);
  let stack: Stack;
  let user: StackUser;
  const clients: TestClient[] = [];
  const client = (opts: Parameters<typeof makeClient>[2] = {}) => {
    const c = makeClient(stack.url, user, opts);
    clients.push(c);
    return c;
  };

  before(async () => {
    stack = await startStack();
  });
  beforeEach(async () => {
    user = await stack.signUpAndSignIn();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
  });
  after(async () => {
    await stack?.close();
  });

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
    fs.rmSync(a.file('empty'));
    await a.engine.syncNow();
    await b.engine.syncNow();
    assert.deepEqual(b.tree(), a.tree());
    assert.equal(b.read('hello.txt'), 'hello again');
    assert.equal(fs.existsSync(b.file('deep/er')), false, 'folders emptied by a remote delete go too');
  });
});
