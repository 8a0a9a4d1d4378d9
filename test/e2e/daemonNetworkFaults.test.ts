// The `mydropbox` daemon (a child process) talking to its data server through a proxy that cuts connections: block
// uploads cut mid-body, commits whose answer never arrives (the commit landed), downloads cut mid-body. `sync --once`
// retries and ends identical to the server, nothing lost and nothing doubled; the server's rows match its files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { blockHashesOf, contentHashOfBlocks } from '@mydropbox/shared';
import { startStack, uploadFile, TEST_PASSWORD, type Stack } from '../support/stack';
import { runCliProcess } from '../../extension/test/cli/run';
import { readTree } from '../../extension/test/sync/client';
import { deviceTokenSession } from '../../extension/src/sync';
import { RemoteClient } from '../../extension/src/sync/remote';
import { startFaultProxy, type FaultProxy } from '../../extension/test/sync/faultProxy';

const hashOf = (data: Buffer) => contentHashOfBlocks(blockHashesOf(data));

describe('mydropbox daemon through a proxy that cuts its connections to the data server', function () {
  this.timeout(120_000);
  let stack: Stack;
  let proxy: FaultProxy;
  let home: string;

  before(async () => {
    stack = await startStack();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-daemon-net-'));
    // Every client of data server 1 is sent to the proxy in front of it.
    proxy = await startFaultProxy(new URL(stack.dataServers[0]!.url));
    await stack.services.dataServers.register({ id: 1, host: '127.0.0.1', port: Number(new URL(proxy.url).port), capacityGb: 1000 });
  });
  after(async () => {
    await proxy?.close();
    fs.rmSync(home, { recursive: true, force: true });
    await stack?.close();
  });

  it('retries cut uploads, commits and downloads and converges byte for byte', async () => {
    const user = await stack.signUpAndSignIn();
    const env = { MYDROPBOX_CONFIG_DIR: path.join(home, 'config'), HOME: home, MYDROPBOX_PASSWORD: TEST_PASSWORD };
    assert.equal((await runCliProcess(['login', '--server', stack.url, '--username', user.username], env)).code, 0);
    const folder = path.join(home, 'myDropbox');
    const local = new Map<string, Buffer>();
    for (let i = 0; i < 30; i++) local.set(`notes/n${i}.txt`, randomBytes(2000 + i));
    local.set('media/big.bin', randomBytes(9 * 1024 * 1024));
    for (const [p, d] of local) {
      fs.mkdirSync(path.dirname(path.join(folder, p)), { recursive: true });
      fs.writeFileSync(path.join(folder, p), d);
    }
    const remoteOnly = new Map<string, Buffer>();
    for (let i = 0; i < 5; i++) {
      const d = randomBytes(300_000 + i);
      remoteOnly.set(`remote/r${i}.bin`, d);
      await uploadFile(user, `remote/r${i}.bin`, d);
    }

    const cuts = [
      proxy.inject({ matches: (h) => /^PUT \/v1\/(uploads|blocks)\//.test(h), afterBytes: 0, action: 'cut', times: 2 }),
      proxy.inject({ matches: (h) => h.startsWith('POST /v1/blocks/batch '), afterBytes: 0, action: 'cut', times: 1 }),
      // The commits land, but their answers never arrive: the retry must see them, not make a copy or a conflict.
      proxy.inject({ matches: (h) => h.startsWith('POST /v1/commit/batch '), afterBytes: 0, action: 'cut', times: 1 }),
      proxy.inject({ matches: (h) => h.startsWith('POST /v1/commit '), afterBytes: 0, action: 'cut', times: 1 }),
      proxy.inject({ matches: (h) => h.startsWith('GET /v1/files/content?path=remote'), afterBytes: 5000, action: 'cut', times: 2 }),
    ];
    let run = await runCliProcess(['sync', '--once'], env);
    // One pass may end with files still failing (exit status says so); a second pass must finish what is left.
    if (run.code !== 0) run = await runCliProcess(['sync', '--once'], env);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.ok(
      cuts.every((hits) => hits() > 0),
      `every fault hit something: ${cuts.map((h) => h()).join(' ')}`,
    );

    const remote = new RemoteClient(deviceTokenSession(stack.url, user.deviceToken));
    const files = (await remote.list()).files;
    const all = new Map([...local, ...remoteOnly]);
    assert.deepEqual(files.map((f) => f.path).sort(), [...all.keys()].sort(), 'nothing lost, no conflict copy');
    for (const f of files) assert.equal(f.contentHash, hashOf(all.get(f.path)!), f.path);
    const tree = readTree(folder);
    assert.deepEqual(Object.keys(tree).sort(), [...all.keys()].sort());
    for (const [p, d] of all) assert.ok(Buffer.from(tree[p]!, 'base64').equals(d), `${p} on the device`);
    // The server's files are exactly its rows.
    const userDir = path.join(stack.dataServers[0]!.root, '1', user.username);
    for (const f of files)
      assert.equal(hashOf(fs.readFileSync(path.join(userDir, f.path))), f.contentHash, `${f.path} on the server's disk`);
  });
});
