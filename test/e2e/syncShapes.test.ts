// A file replaced by a folder of the same name and a folder replaced by a file converge like any other change, alone or concurrent with an edit elsewhere.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { blockHashesOf, contentHashOfBlocks } from '@mydropbox/shared';
import { deviceTokenSession } from '../../extension/src/sync';
import { RemoteClient } from '../../extension/src/sync/remote';
import os from 'node:os';
import path from 'node:path';
import { TEST_PASSWORD, type Stack, type StackUser } from '../support/stack';
import { runCliProcess, startCli } from '../../extension/test/cli/run';
import { eventually, syncClientHooks, type TestClient } from '../../extension/test/sync/client';

const hashOf = (text: string) => contentHashOfBlocks(blockHashesOf(Buffer.from(text)));
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('sync engine: a file becomes a folder, a folder becomes a file', function () {
  this.timeout(60_000);
  let stack: Stack;
  let user: StackUser;
  const newClient = syncClientHooks({ stack: (s) => (stack = s), user: (u) => (user = u) });
  const client = (deviceName: string) => newClient({ deviceName }, user);
  const serverTree = async () => {
    const { files } = await new RemoteClient(deviceTokenSession(stack.url, user.deviceToken)).list();
    return Object.fromEntries(files.map((f) => [f.path, f.contentHash]).sort(([x], [y]) => (x! < y! ? -1 : 1)));
  };
  /** Device and server hold the same files, byte for byte. */
  const sameAsServer = async (c: TestClient) => {
    const local = c.tree();
    assert.deepEqual(
      Object.fromEntries(Object.entries(local).map(([p, data]) => [p, contentHashOfBlocks(blockHashesOf(Buffer.from(data, 'base64')))])),
      await serverTree(),
    );
  };
  /** Each pass of syncNow has this many status changes at most: a loop that keeps saying "Syncing" shows up here. */
  const quietAfter = (c: TestClient, from: number) => {
    const said = c.statuses.slice(from);
    assert.ok(said.length < 40, `${said.length} status changes: ${JSON.stringify(said.slice(-5))}`);
  };
  const upToDate = (c: TestClient) => assert.equal(c.engine.status.kind, 'upToDate', JSON.stringify(c.engine.status));

  /** Name `replaced` changes shape on one device (its files `before` removed, `after` written); the other device follows. */
  const shapeChanges = [
    {
      what: 'a file replaced by a folder of the same name',
      before: { 'r/x': 'a file', 'r/keep.txt': 'keep' },
      replaced: 'r/x',
      after: { 'r/x/inner.txt': 'in' },
      want: { 'r/keep.txt': 'keep', 'r/x/inner.txt': 'in' },
    },
    {
      what: 'a folder replaced by a file of the same name',
      before: { 'r3/y/y': 'deep', 'r3/y/z/w': 'deeper' },
      replaced: 'r3/y',
      after: { 'r3/y': 'f' },
      want: { 'r3/y': 'f' },
    },
  ];
  for (const change of shapeChanges)
    it(`${change.what} reaches the server and the other device`, async () => {
      const a = client('laptop');
      const b = client('desktop');
      for (const [p, text] of Object.entries(change.before)) a.write(p, text);
      await a.engine.syncNow();
      await b.engine.syncNow();
      fs.rmSync(a.file(change.replaced), { recursive: true });
      for (const [p, text] of Object.entries(change.after)) a.write(p, text);
      const from = a.statuses.length;
      await a.engine.syncNow();
      quietAfter(a, from);
      upToDate(a);
      const want = Object.entries(change.want);
      assert.deepEqual(await serverTree(), Object.fromEntries(want.map(([p, text]) => [p, hashOf(text)])));
      await b.engine.syncNow();
      assert.deepEqual(b.tree(), Object.fromEntries(want.map(([p, text]) => [p, b64(text)])));
      upToDate(b);
    });

  it('while running: both shape changes go both ways and every device says "Up to date" only once it holds the server\'s tree', async () => {
    const a = client('laptop');
    const b = client('desktop');
    a.write('p/x', 'file x');
    a.write('q/y/inner', 'in y');
    await a.engine.start();
    await b.engine.start();
    await eventually(() => assert.equal(b.read('q/y/inner'), 'in y'), 10_000);
    await eventually(() => assert.equal(b.read('p/x'), 'file x'), 10_000);
    fs.rmSync(a.file('p/x'));
    a.write('p/x/now-a-folder.txt', 'folder x');
    fs.rmSync(b.file('q/y'), { recursive: true });
    b.write('q/y', 'now a file');
    const want = { 'p/x/now-a-folder.txt': b64('folder x'), 'q/y': b64('now a file') };
    await eventually(() => assert.deepEqual(a.tree(), want), 15_000, 50);
    await eventually(() => assert.deepEqual(b.tree(), want), 15_000, 50);
    for (const c of [a, b]) {
      await eventually(() => upToDate(c), 10_000, 50);
      await sameAsServer(c);
    }
    // Nothing keeps going once settled: no pass after pass saying "Syncing 0 files" (a late echo of our own commit may say "Up to date" again).
    const [fromA, fromB] = [a.statuses.length, b.statuses.length];
    await new Promise((r) => setTimeout(r, 1_000));
    const said = [...a.statuses.slice(fromA), ...b.statuses.slice(fromB)];
    assert.deepEqual(
      said.filter((s) => s.kind !== 'upToDate'),
      [],
    );
    assert.ok(said.length <= 4, `${said.length} status changes in a second while nothing happens`);
  });

  /**
   * Name `name` changes shape here (`before` synced, then `madeHere`) while the other device edits `editedThere`; run in
   * both orders, both versions are kept: `kept` stays at its path and `copied`'s content goes beside it as a conflicted copy.
   */
  const shapeChangesAgainstAnEdit = [
    {
      what: 'a file made a folder here while another device edits the file',
      name: 'x',
      before: { x: 'v1' },
      madeHere: { 'x/inner.txt': 'in' },
      editedThere: 'x',
      kept: ['x/inner.txt', 'in'],
      copied: ['the edited file', 'v2 edited on desktop'],
    },
    {
      // The edit beats the delete of the folder, so the folder stays with the edited file; the new file is kept beside it.
      what: 'a folder made a file here while another device edits a file in it',
      name: 'y',
      before: { 'y/doc.txt': 'v1', 'y/other.txt': 'other' },
      madeHere: { y: 'now a file' },
      editedThere: 'y/doc.txt',
      kept: ['y/doc.txt', 'v2 edited on desktop'],
      copied: ['the new file', 'now a file'],
    },
  ] as const;
  for (const change of shapeChangesAgainstAnEdit)
    it(`${change.what}: both are kept, on every device`, async () => {
      for (const editFirst of [false, true]) {
        const a = client('laptop');
        const b = client('desktop');
        for (const [p, text] of Object.entries(change.before)) a.write(p, text);
        await a.engine.syncNow();
        await b.engine.syncNow();
        fs.rmSync(a.file(change.name), { recursive: true });
        for (const [p, text] of Object.entries(change.madeHere)) a.write(p, text);
        b.write(change.editedThere, 'v2 edited on desktop');
        const [first, second] = editFirst ? [b, a] : [a, b];
        await first.engine.syncNow();
        await second.engine.syncNow();
        await first.engine.syncNow();
        for (const c of [a, b]) {
          upToDate(c);
          await sameAsServer(c);
        }
        assert.deepEqual(a.tree(), b.tree());
        const tree = a.tree();
        const [keptPath, keptText] = change.kept;
        assert.equal(tree[keptPath], b64(keptText), `editFirst=${editFirst}: ${Object.keys(tree).join(', ')}`);
        const copies = Object.keys(tree).filter((p) => p.startsWith(`${change.name} (conflicted copy from `));
        const [copyIs, copyText] = change.copied;
        assert.equal(copies.length, 1, `${copyIs} kept beside the folder (editFirst=${editFirst}): ${Object.keys(tree).join(', ')}`);
        assert.equal(tree[copies[0]!], b64(copyText));
        assert.equal(Object.keys(tree).length, 2);
        await newClient.closeAll();
        user = await stack.signUpAndSignIn();
      }
    });

  it('the daemon: a file made a folder and a folder made a file while it runs reach the server, then it says "Up to date" and goes quiet', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-shapes-'));
    const env = { MYDROPBOX_CONFIG_DIR: path.join(home, 'config'), HOME: home, MYDROPBOX_PASSWORD: TEST_PASSWORD };
    const folder = path.join(home, 'myDropbox');
    const at = (rel: string) => path.join(folder, ...rel.split('/'));
    try {
      const login = await runCliProcess(['login', '--server', stack.url, '--username', user.username], env);
      assert.equal(login.code, 0, login.stderr);
      fs.mkdirSync(at('r/y'), { recursive: true });
      fs.writeFileSync(at('r/x'), 'a file');
      fs.writeFileSync(at('r/y/y'), 'in a folder');
      const daemon = startCli(['sync', folder], env);
      try {
        await eventually(() => assert.match(daemon.output().stdout, /Up to date/), 30_000, 50);
        fs.rmSync(at('r/x'));
        fs.mkdirSync(at('r/x'));
        fs.writeFileSync(at('r/x/inner.txt'), 'in');
        fs.rmSync(at('r/y'), { recursive: true });
        fs.writeFileSync(at('r/y'), 'f');
        await eventually(
          async () => assert.deepEqual(await serverTree(), { 'r/x/inner.txt': hashOf('in'), 'r/y': hashOf('f') }),
          20_000,
          50,
        );
        await eventually(() => assert.match(daemon.output().stdout.split('\n').filter(Boolean).at(-1) ?? '', /Up to date/), 10_000, 50);
        const lines = daemon.output().stdout.split('\n').length;
        await new Promise((r) => setTimeout(r, 1_000));
        const more = daemon
          .output()
          .stdout.split('\n')
          .slice(lines - 1)
          .filter(Boolean);
        assert.ok(more.length <= 2, `status lines while nothing happens: ${more.join(' | ')}`);
        assert.equal(daemon.child.exitCode, null, daemon.output().stderr);
      } finally {
        daemon.child.kill('SIGTERM');
        await daemon.done;
      }
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
