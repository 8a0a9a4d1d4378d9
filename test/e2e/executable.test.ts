// The data server keeps a file's executable bit (11.5): set by a commit, shown by the listing, the metadata and the change feed, kept by copies and by doors that cannot say.
import assert from 'node:assert/strict';
import { blockHashesOf, type Change, type FileEntry } from '@mydropbox/shared';
import fs from 'node:fs';
import { startStack, uploadFile, type Stack, type StackUser } from '../support/stack';
import { eventually, makeClient, type TestClient } from '../../extension/test/sync/client';

describe('data server: the executable bit', function () {
  this.timeout(60_000);
  let stack: Stack;
  let user: StackUser;

  before(async () => {
    stack = await startStack();
    user = await stack.signUpAndSignIn();
  });
  after(async () => {
    await stack?.close();
  });

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${user.dataServerUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  };
  const commit = (path: string, text: string, baseRev: number | null, extra: Record<string, unknown> = {}) => {
    const data = Buffer.from(text);
    return call('POST', '/v1/commit', { path, size: data.length, blocks: blockHashesOf(data), baseRev, ...extra });
  };
  const listed = async (path: string) =>
    ((await call('GET', '/v1/files')).json as { files: FileEntry[] }).files.find((f) => f.path === path);

  it('is stored by a commit and shown by the listing, the metadata and the change feed', async () => {
    await uploadFile(user, 'tool.sh', Buffer.from('#!/bin/sh\necho hi\n')); // the blocks are there now
    const cursor = ((await call('GET', '/v1/changes?timeout=0')).json as { cursor: string }).cursor;
    const made = await commit('run.sh', '#!/bin/sh\necho hi\n', null, { executable: true });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    assert.equal((made.json as FileEntry).executable, true);
    assert.equal((await listed('run.sh'))?.executable, true);
    assert.equal(((await call('GET', '/v1/files/meta?path=run.sh')).json as FileEntry).executable, true);
    const feed = (await call('GET', `/v1/changes?timeout=0&cursor=${cursor}`)).json as { changes: Change[] };
    assert.equal(feed.changes.find((c) => c.path === 'run.sh')?.executable, true);
    assert.equal((await listed('tool.sh'))?.executable, undefined, 'a file committed without it is not executable');
  });

  it('is kept by a commit that does not say (WebDAV, the website) and by a copy; cleared by a commit that says false', async () => {
    await uploadFile(user, 'seed.txt', Buffer.from('v1'));
    const first = (await commit('x.sh', 'v1', null, { executable: true })).json as FileEntry;
    const second = await commit('x.sh', 'v1', first.rev);
    assert.equal(second.status, 200, JSON.stringify(second.json));
    assert.equal((second.json as FileEntry).executable, true);
    const copied = await call('POST', '/v1/files/copy', { from: 'x.sh', to: 'copy.sh' });
    assert.equal(copied.status, 200, JSON.stringify(copied.json));
    assert.equal((await listed('copy.sh'))?.executable, true);
    const cleared = await commit('x.sh', 'v1', (second.json as FileEntry).rev, { executable: false });
    assert.equal((cleared.json as FileEntry).executable, undefined);
    assert.equal((await listed('x.sh'))?.executable, undefined);
  });

  it('refuses a value that is not true or false', async () => {
    for (const executable of ['yes', 1, null]) {
      const res = await commit('bad.sh', 'v1', null, { executable });
      assert.equal(res.status, 400, `${JSON.stringify(executable)}: ${JSON.stringify(res.json)}`);
    }
  });

  describe('through the sync client', () => {
    const clients: TestClient[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) await c.close();
    });
    const client = () => {
      const c = makeClient(stack.url, user);
      clients.push(c);
      return c;
    };
    const isExecutable = (c: TestClient, rel: string) => (fs.statSync(c.file(rel)).mode & 0o100) !== 0;

    it('a new executable file arrives executable, and chmod +x / -x alone goes both ways', async () => {
      user = await stack.signUpAndSignIn();
      const a = client();
      const b = client();
      a.write('bin/build.sh', '#!/bin/sh\necho build\n');
      fs.chmodSync(a.file('bin/build.sh'), 0o755);
      a.write('notes.txt', 'plain');
      await a.engine.syncNow();
      assert.equal((await listed('bin/build.sh'))?.executable, true);
      await b.engine.syncNow();
      assert.equal(isExecutable(b, 'bin/build.sh'), true);
      assert.equal(isExecutable(b, 'notes.txt'), false);

      fs.chmodSync(b.file('bin/build.sh'), 0o644);
      fs.chmodSync(b.file('notes.txt'), 0o755);
      await b.engine.syncNow();
      assert.equal((await listed('bin/build.sh'))?.executable, undefined);
      assert.equal((await listed('notes.txt'))?.executable, true);
      const before = a.engine.remote.stats.bytesReceived;
      await a.engine.syncNow();
      assert.equal(isExecutable(a, 'bin/build.sh'), false);
      assert.equal(isExecutable(a, 'notes.txt'), true);
      assert.equal(a.read('notes.txt'), 'plain');
      assert.ok(a.engine.remote.stats.bytesReceived - before < 2000, 'a mode change alone moves no file bytes');
    });

    it('a chmod while running reaches the server and the other running device', async () => {
      user = await stack.signUpAndSignIn();
      const a = client();
      const b = client();
      a.write('run.sh', 'echo run');
      await a.engine.start();
      await b.engine.start();
      await eventually(() => assert.equal(b.read('run.sh'), 'echo run'), 10_000, 50);
      fs.chmodSync(a.file('run.sh'), 0o755);
      await eventually(async () => assert.equal((await listed('run.sh'))?.executable, true), 10_000, 50);
      await eventually(() => assert.equal(isExecutable(b, 'run.sh'), true), 10_000, 50);
    });
  });
});
