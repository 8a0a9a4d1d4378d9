// The `mydropbox` daemon as a child process: killed in the middle of a sync, restarted, and nothing is lost.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { blockHashesOf, contentHashOfBlocks } from '@mydropbox/shared';
import { startStack, uploadFile, TEST_PASSWORD, type Stack } from '../support/stack';
import { runCliProcess, startCli } from '../../extension/test/cli/run';
import { eventually, readTree } from '../../extension/test/sync/client';
import { deviceTokenSession } from '../../extension/src/sync';
import { RemoteClient } from '../../extension/src/sync/remote';

describe('mydropbox daemon killed mid-sync', function () {
  this.timeout(120_000);
  let stack: Stack;
  let home: string;

  before(async () => {
    stack = await startStack();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-daemon-'));
  });
  after(async () => {
    fs.rmSync(home, { recursive: true, force: true });
    await stack?.close();
  });

  it('ends identical to the server after SIGKILL and a restart, with edits from both sides kept', async () => {
    const user = await stack.signUpAndSignIn();
    const env = { MYDROPBOX_CONFIG_DIR: path.join(home, 'config'), HOME: home, MYDROPBOX_PASSWORD: TEST_PASSWORD };
    const login = await runCliProcess(['login', '--server', stack.url, '--username', user.username], env);
    assert.equal(login.code, 0, login.stderr);
    const folder = path.join(home, 'myDropbox');
    for (let i = 0; i < 300; i++) {
      fs.mkdirSync(path.join(folder, `d${i % 6}`), { recursive: true });
      fs.writeFileSync(path.join(folder, `d${i % 6}`, `f${i}.bin`), randomBytes(32 * 1024));
    }
    // Big enough that it is still on its way when the small files' batch lands (batches make those quick).
    // Three of them, and the kill at the first upload to land: upload sessions write a big file straight into place, so
    // one alone could land with the batch.
    for (const name of ['big.bin', 'big2.bin', 'big3.bin']) fs.writeFileSync(path.join(folder, name), randomBytes(160 * 1024 * 1024));
    // Files the server has before the daemon starts: downloads in flight when it dies, too.
    for (let i = 0; i < 40; i++) await uploadFile(user, `remote/r${i}.txt`, randomBytes(20 * 1024));

    const remote = new RemoteClient(deviceTokenSession(stack.url, user.deviceToken));
    const daemon = startCli(['sync'], env);
    await eventually(async () => assert.ok((await remote.list()).files.length > 40, 'some uploads done'), 60_000, 25);
    daemon.child.kill('SIGKILL');
    await daemon.done;
    const listed = (await remote.list()).files.length;
    assert.ok(listed < 343, `the daemon finished (${listed} files) before it was killed: the test proves nothing`);

    // While it is down: an edit here, an edit on the server.
    fs.writeFileSync(path.join(folder, 'd0', 'f0.bin'), 'edited while the daemon was dead');
    await uploadFile(user, 'remote/new-on-server.txt', Buffer.from('made elsewhere'));

    const again = await runCliProcess(['sync', '--once'], env);
    assert.equal(again.code, 0, again.stderr + again.stdout);

    const local = readTree(folder);
    const files = (await remote.list()).files;
    assert.deepEqual(Object.keys(local).sort(), files.map((f) => f.path).sort());
    for (const f of files) {
      const bytes = Buffer.from(local[f.path]!, 'base64');
      assert.equal(contentHashOfBlocks(blockHashesOf(bytes)), f.contentHash, `${f.path} differs`);
    }
    assert.equal(files.length, 300 + 3 + 40 + 1);
    assert.equal(fs.readFileSync(path.join(folder, 'd0', 'f0.bin'), 'utf8'), 'edited while the daemon was dead');
    assert.equal(fs.readFileSync(path.join(folder, 'remote', 'new-on-server.txt'), 'utf8'), 'made elsewhere');
    assert.deepEqual(
      fs.readdirSync(folder, { recursive: true }).filter((n) => String(n).includes('.mydropbox-tmp-')),
      [],
      'no temp file left behind',
    );
  });
});
