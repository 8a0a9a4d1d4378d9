// A restart's pass against the whole stack: the change feed since the saved cursor instead of a full listing, and when it must list anyway.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Stack, type StackUser } from '../../../test/support/stack';
import { eventually, syncClientHooks, type TestClient } from './client';
import { RemoteClient } from '../../src/sync/remote';
import { deviceTokenSession } from '../../src/sync';
import type { MyDropboxError } from '@mydropbox/shared';

describe('sync engine restart', function () {
  this.timeout(60_000);
  let stack: Stack;
  let user: StackUser;
  const roots: string[] = [];
  const newClient = syncClientHooks({ stack: (s) => (stack = s), user: (u) => (user = u) });
  const client = (root?: string, who: StackUser = user) => newClient(root ? { root } : {}, who);
  const newRoot = () => {
    const r = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-restart-'));
    roots.push(r);
    return r;
  };
  /** Counts full listings (a spy that calls through to the real client). */
  const countLists = (c: TestClient) => {
    const counter = { lists: 0 };
    const list = c.engine.remote.list.bind(c.engine.remote);
    c.engine.remote.list = (signal?: AbortSignal) => (counter.lists++, list(signal));
    return counter;
  };
  const journal = (c: TestClient) => path.join(c.stateDir, 'index.jsonl');

  afterEach(() => {
    for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
  });

  it('replays the change feed instead of listing, and still gets what another device changed meanwhile', async () => {
    const root = newRoot();
    const a = client(root);
    for (let i = 0; i < 20; i++) a.write(`f/${i}.txt`, `v1 ${i}`);
    await a.engine.syncNow();
    await a.close();
    // Caught up past its own commits on the way out: the next start replays nothing of them.
    const newest = (await new RemoteClient(deviceTokenSession(stack.url, user.deviceToken)).list()).cursor;
    assert.match(fs.readFileSync(journal(a), 'utf8'), new RegExp(`"k":"${newest}"`));

    const b = client();
    await b.engine.syncNow();
    b.write('f/1.txt', 'edited on b');
    fs.rmSync(b.file('f/2.txt'));
    b.write('g/new.txt', 'new on b');
    await b.engine.syncNow();

    const again = client(root);
    const counter = countLists(again);
    again.write('f/3.txt', 'edited here while stopped');
    await again.engine.syncNow();
    assert.equal(counter.lists, 0);
    await b.engine.syncNow();
    assert.deepEqual(again.tree(), b.tree());
    assert.equal(again.read('f/1.txt'), 'edited on b');
    assert.equal(again.read('f/2.txt'), undefined);
    assert.equal(b.read('f/3.txt'), 'edited here while stopped');

    // And a third start with nothing changed at all lists nothing either and changes nothing.
    await again.close();
    const third = client(root);
    const c3 = countLists(third);
    await third.engine.syncNow();
    assert.equal(c3.lists, 0);
    assert.deepEqual(third.tree(), b.tree());
  });

  it("watches every folder that was there before the start (the first pass's scan installs the watches) and none it ignores", async () => {
    const root = newRoot();
    const a = client(root);
    a.write('top.txt', 'top');
    a.write('one/two/three/deep.txt', 'deep');
    a.write('side/file.txt', 'side');
    a.write('.mydropboxignore', 'skipped/\n');
    a.write('skipped/inside/x.txt', 'x');
    await a.engine.syncNow();
    await a.close();

    const again = client(root);
    await again.engine.start();
    again.write('one/two/three/added.txt', 'added while running');
    again.write('side/file.txt', 'edited while running');
    again.write('skipped/inside/y.txt', 'never synced');
    const remote = new RemoteClient(deviceTokenSession(stack.url, user.deviceToken));
    await eventually(async () => {
      const files = new Map((await remote.list()).files.map((f) => [f.path, f.size]));
      assert.equal(files.get('one/two/three/added.txt'), 'added while running'.length);
      assert.equal(files.get('side/file.txt'), 'edited while running'.length);
    }, 10_000);
    const paths = (await remote.list()).files.map((f) => f.path);
    assert.ok(!paths.some((p) => p.startsWith('skipped/')), paths.join(', '));
  });

  it('lists again when the cursor is unknown to the server, unreadable, or belongs to another account', async () => {
    const root = newRoot();
    const a = client(root);
    a.write('x.txt', 'x');
    await a.engine.syncNow();
    await a.close();
    const saved = fs
      .readFileSync(journal(a), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { k?: string; s?: string })
      .filter((r) => r.k !== undefined)
      .at(-1)!;

    // Ahead of the server's newest change (a restored database): the server says reset.
    fs.appendFileSync(journal(a), JSON.stringify({ k: '999999999', s: saved.s }) + '\n');
    const ahead = client(root);
    const c1 = countLists(ahead);
    await ahead.engine.syncNow();
    assert.equal(c1.lists, 1);
    assert.equal(ahead.read('x.txt'), 'x');
    await ahead.close();

    // Malformed records are ignored, not trusted.
    fs.appendFileSync(journal(a), '{"k":5,"s":null}\n{"k":"1"}\n');
    const malformed = client(root);
    const c2 = countLists(malformed);
    await malformed.engine.syncNow();
    assert.equal(c2.lists, 1);
    await malformed.close();

    // The same state directory used for another account: refused before anything is listed, planned or deleted.
    const other = await stack.signUpAndSignIn();
    const switched = client(root, other);
    const c3 = countLists(switched);
    await assert.rejects(
      switched.engine.syncNow(),
      (err: MyDropboxError) => err.code === 'folder_unavailable' && /belongs to/.test(err.message),
    );
    assert.equal(c3.lists, 0);
    assert.equal(switched.read('x.txt'), 'x');
  });
});
