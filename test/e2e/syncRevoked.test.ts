// A daemon whose device is signed out (revoked on the website's Devices page or through the API) stops at once, says so, lets go of its folder (13.5).
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
import { loadCredentials } from '../../extension/src/cli/config';

describe('mydropbox daemon: this device signed out while it runs', function () {
  this.timeout(90_000);
  let stack: Stack;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let folder: string;
  daemonHomeHooks('mdb-revoked-', { stack: (s) => (stack = s), home: (d) => ({ home, env, folder } = d) });

  const login = async (user: StackUser) => {
    const res = await runCliProcess(['login', '--server', stack.url, '--username', user.username, '--device', 'test laptop'], env);
    assert.equal(res.code, 0, res.stderr);
  };
  /** Revokes the daemon's device the way the website's Devices page does, from the person's other device. */
  const revokeDaemon = async (user: StackUser) => {
    const token = loadCredentials(path.join(home, 'config'))!.deviceToken;
    const { deviceId } = await stack.services.devices.authenticate(token);
    const res = await fetch(`${stack.apiUrl}/devices/${deviceId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${user.deviceToken}` },
    });
    assert.equal(res.status, 204);
  };
  const locks = () =>
    fs
      .readdirSync(path.join(home, 'config', 'state'))
      .filter((d) => fs.existsSync(path.join(home, 'config', 'state', d, 'lock')))
      .map((d) => d);

  for (const busy of [false, true]) {
    it(`stops ${busy ? 'at its next upload' : 'while idle, waiting on the change feed'}, says so in words, lets go of its folder, and status says "signed out" with exit 2`, async () => {
      const user = await stack.signUpAndSignIn();
      await login(user);
      fs.mkdirSync(folder, { recursive: true });
      fs.writeFileSync(path.join(folder, 'before.txt'), 'synced before');
      const daemon = startCli(['sync', folder], env);
      try {
        await eventually(() => assert.match(daemon.output().stdout, /Up to date/), 30_000, 50);
        assert.equal(locks().length, 1, 'the running daemon holds its folder');
        await revokeDaemon(user);
        if (busy) fs.writeFileSync(path.join(folder, 'after.txt'), 'written after the device was signed out');
        // Idle, it is waiting on a 25 s long poll: the data server ends it when the device is signed out.
        const result = await Promise.race([
          daemon.done,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running: ${daemon.output().stderr}`)), 10_000)),
        ]);
        assert.equal(result.code, EXIT.auth, result.stderr);
        assert.match(result.stderr, /This device was signed out/);
        assert.match(result.stderr, /mydropbox login/);
        assert.match(result.stderr, /nothing (here )?was deleted|files .* untouched|left as they are/i);
      } finally {
        daemon.child.kill('SIGKILL');
        await daemon.done;
      }
      assert.deepEqual(locks(), [], 'the folder is let go');
      const files = (await new RemoteClient(deviceTokenSession(stack.url, user.deviceToken)).list()).files.map((f) => f.path);
      assert.deepEqual(files, ['before.txt'], 'nothing reached the server after the sign-out');
      assert.deepEqual(Object.keys(readTree(folder)).sort(), busy ? ['after.txt', 'before.txt'] : ['before.txt'], 'no local file touched');

      const status = await runCliProcess(['status'], env);
      assert.equal(status.code, EXIT.auth, status.stdout + status.stderr);
      assert.match(status.stdout, /signed out/i);
      assert.match(status.stdout, /test laptop|this computer/);
      assert.match(status.stdout, /mydropbox login/);

      // Signing in again and syncing picks up where it was, on the same folder.
      await login(user);
      await uploadFile(user, 'from-elsewhere.txt', Buffer.from('made meanwhile'));
      const once = await runCliProcess(['sync', '--once', folder], env);
      assert.equal(once.code, EXIT.ok, once.stderr + once.stdout);
      assert.equal(fs.readFileSync(path.join(folder, 'from-elsewhere.txt'), 'utf8'), 'made meanwhile');
    });
  }
});
