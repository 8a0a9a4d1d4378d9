// The `mydropbox` daemon (a child process) never destroys data: another account on the same folder, a symlinked folder, a replaced folder.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { uploadFile, type Stack, type StackUser } from '../support/stack';
import { runCliProcess, startCli } from '../../extension/test/cli/run';
import { daemonHomeHooks } from '../support/daemonHome';
import { eventually, readTree } from '../../extension/test/sync/client';
import { deviceTokenSession } from '../../extension/src/sync';
import { RemoteClient } from '../../extension/src/sync/remote';
import { EXIT } from '../../extension/src/cli/main';

describe('mydropbox daemon: nothing is destroyed', function () {
  this.timeout(90_000);
  let stack: Stack;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let folder: string;
  daemonHomeHooks('mdb-safety-', { stack: (s) => (stack = s), home: (d) => ({ home, env, folder } = d) });

  const login = async (user: StackUser) => {
    const res = await runCliProcess(['login', '--server', stack.url, '--username', user.username], env);
    assert.equal(res.code, 0, res.stderr);
  };
  const syncOnce = () => runCliProcess(['sync', '--once', folder], env);
  const serverPaths = async (user: StackUser) =>
    (await new RemoteClient(deviceTokenSession(stack.url, user.deviceToken)).list()).files.map((f) => f.path).sort();
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
    fs.writeFileSync(path.join(folder, rel), text);
  };

  it('signing in as another account and syncing the same folder keeps every local file and uploads it there', async () => {
    const first = await stack.signUpAndSignIn();
    const second = await stack.signUpAndSignIn();
    await login(first);
    write('a.txt', 'mine');
    write('sub/b.txt', 'also mine');
    const once = await syncOnce();
    assert.equal(once.code, 0, once.stderr + once.stdout);
    assert.deepEqual(await serverPaths(first), ['a.txt', 'sub/b.txt']);

    assert.equal((await runCliProcess(['logout'], env)).code, 0);
    await login(second);
    const again = await syncOnce();
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.deepEqual(Object.keys(readTree(folder)), ['a.txt', 'sub/b.txt']);
    assert.equal(fs.readFileSync(path.join(folder, 'a.txt'), 'utf8'), 'mine');
    assert.deepEqual(await serverPaths(second), ['a.txt', 'sub/b.txt']);
    assert.deepEqual(await serverPaths(first), ['a.txt', 'sub/b.txt'], 'the first account keeps its files too');
  });

  it('never writes through a symlinked folder: the path is refused and listed, the rest syncs, exit 6', async () => {
    const user = await stack.signUpAndSignIn();
    await login(user);
    const outside = path.join(home, 'dot-ssh');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'keep.txt'), 'private');
    write('plain.txt', 'plain');
    fs.symlinkSync(outside, path.join(folder, 'sshlink'));
    await uploadFile(user, 'sshlink/authorized_keys', Buffer.from('ssh-ed25519 AAAA attacker'));
    await uploadFile(user, 'elsewhere/fine.txt', Buffer.from('fine'));

    const once = await syncOnce();
    assert.equal(once.code, EXIT.notSynced, once.stderr + once.stdout);
    assert.deepEqual(fs.readdirSync(outside), ['keep.txt'], 'nothing was written through the link');
    assert.match(once.stdout, /sshlink.*symbolic link/);
    assert.equal(fs.readFileSync(path.join(folder, 'elsewhere', 'fine.txt'), 'utf8'), 'fine');
    assert.deepEqual(await serverPaths(user), ['elsewhere/fine.txt', 'plain.txt', 'sshlink/authorized_keys']);

    const status = await runCliProcess(['status'], env);
    assert.match(status.stdout, /1 item not synced/);
    assert.match(status.stdout, /sshlink.*symbolic link/);
  });

  it('a folder replaced by an empty one (or gone) deletes nothing anywhere, says why and exits 7', async () => {
    const user = await stack.signUpAndSignIn();
    await login(user);
    write('one.txt', '1');
    write('deep/two.txt', '2');
    assert.equal((await syncOnce()).code, 0);
    const away = path.join(home, 'moved-away');
    fs.renameSync(folder, away);
    fs.mkdirSync(folder);

    const replaced = await syncOnce();
    assert.equal(replaced.code, EXIT.folder, replaced.stderr + replaced.stdout);
    assert.match(replaced.stderr, /nothing was deleted/i);
    assert.deepEqual(await serverPaths(user), ['deep/two.txt', 'one.txt']);
    assert.deepEqual(fs.readdirSync(folder), [], 'the replacement folder is left alone');

    fs.rmdirSync(folder);
    const gone = await syncOnce();
    assert.equal(gone.code, EXIT.folder, gone.stderr + gone.stdout);
    assert.match(gone.stderr, /missing/);
    assert.equal(fs.existsSync(folder), false, 'a missing folder is not made again');
    assert.deepEqual(await serverPaths(user), ['deep/two.txt', 'one.txt']);

    // Put back where it was, it syncs on.
    fs.renameSync(away, folder);
    write('three.txt', '3');
    const back = await syncOnce();
    assert.equal(back.code, 0, back.stderr + back.stdout);
    assert.deepEqual(await serverPaths(user), ['deep/two.txt', 'one.txt', 'three.txt']);
  });

  it('a running daemon whose folder is moved away and replaced stops, deletes nothing and exits 7', async () => {
    const user = await stack.signUpAndSignIn();
    await login(user);
    write('one.txt', '1');
    write('deep/two.txt', '2');
    const daemon = startCli(['sync', folder], env);
    try {
      await eventually(() => assert.match(daemon.output().stdout, /Up to date/), 30_000, 50);
      const away = path.join(home, 'moved-away');
      fs.renameSync(folder, away);
      fs.mkdirSync(folder);
      // Edits in the moved folder still reach the old watches; a change from elsewhere wakes the feed.
      fs.writeFileSync(path.join(away, 'one.txt'), 'edited after the move');
      await uploadFile(user, 'from-elsewhere.txt', Buffer.from('new'));
      await eventually(() => assert.notEqual(daemon.output().code, null, 'the daemon stopped by itself'), 20_000, 50);
      const result = await daemon.done;
      assert.equal(result.code, EXIT.folder, result.stderr + result.stdout);
      assert.match(result.stderr, /nothing was deleted/i);
    } finally {
      daemon.child.kill('SIGKILL');
    }
    assert.deepEqual(await serverPaths(user), ['deep/two.txt', 'from-elsewhere.txt', 'one.txt']);
    assert.deepEqual(fs.readdirSync(folder), []);
  });
});
