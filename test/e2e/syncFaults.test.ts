// The sync engine through a faulty network: stalled and cut transfers are retried and never block the rest, and "Up to date" is never said too early.
import assert from 'node:assert/strict';
import net from 'node:net';
import { blockHashesOf, contentHashOfBlocks } from '@mydropbox/shared';
import { deviceTokenSession, type Session, type SyncStatus } from '../../extension/src/sync';
import { RemoteClient } from '../../extension/src/sync/remote';
import { uploadFile, type Stack, type StackUser } from '../support/stack';
import { eventually, syncClientHooks } from '../../extension/test/sync/client';
import { startFaultProxy, type FaultProxy } from '../../extension/test/sync/faultProxy';

const hashOf = (text: string) => contentHashOfBlocks(blockHashesOf(Buffer.from(text)));

describe('sync engine through network faults', function () {
  this.timeout(60_000);
  let stack: Stack;
  let user: StackUser;
  const newClient = syncClientHooks({ stack: (s) => (stack = s), user: (u) => (user = u) });
  let proxy: FaultProxy;

  /** A client whose data-server traffic goes through the fault proxy, with short timeouts. */
  const faultyClient = async () => {
    const real = deviceTokenSession(stack.url, user.deviceToken);
    proxy = await startFaultProxy(new URL((await real.getAccessToken()).dataServerUrl));
    const session: Session = {
      serverUrl: stack.url,
      async getAccessToken() {
        return { ...(await real.getAccessToken()), dataServerUrl: proxy.url };
      },
    };
    return newClient({ session, timeouts: { headersMs: 1_500, stallMs: 500 } });
  };
  const remote = () => new RemoteClient(deviceTokenSession(stack.url, user.deviceToken));

  afterEach(async () => {
    await proxy?.close();
  });

  it('retries a download that stalls mid-body or is cut, while the other files sync on', async () => {
    await uploadFile(user, 'stalls.bin', Buffer.alloc(256 * 1024, 7));
    await uploadFile(user, 'cut.bin', Buffer.alloc(256 * 1024, 8));
    for (let i = 0; i < 5; i++) await uploadFile(user, `fine/${i}.txt`, Buffer.from(`fine ${i}`));
    const a = await faultyClient();
    const stalled = proxy.inject({
      matches: (head) => head.startsWith('GET /v1/files/content?path=stalls.bin '),
      afterBytes: 1000,
      action: 'stall',
      times: 1,
    });
    const cut = proxy.inject({
      matches: (head) => head.startsWith('GET /v1/files/content?path=cut.bin '),
      afterBytes: 1000,
      action: 'cut',
      times: 1,
    });
    await a.engine.start();
    await eventually(() => assert.equal(Object.keys(a.tree()).length, 7), 20_000, 50);
    assert.deepEqual(a.read('stalls.bin'), Buffer.alloc(256 * 1024, 7).toString());
    assert.equal(stalled(), 1);
    assert.equal(cut(), 1);
    await eventually(() => assert.equal(a.engine.status.kind, 'upToDate'), 10_000, 50);
  });

  it('retries an upload whose answer never comes (the commit landed: no duplicate, no conflict copy)', async () => {
    const a = await faultyClient();
    const silent = proxy.inject({ matches: (head) => head.startsWith('POST /v1/commit/batch '), afterBytes: 0, action: 'stall', times: 1 });
    const silentBlocks = proxy.inject({
      matches: (head) => head.startsWith('POST /v1/blocks/batch '),
      afterBytes: 0,
      action: 'stall',
      times: 1,
    });
    a.write('one.txt', 'one');
    a.write('two.txt', 'two');
    await a.engine.start();
    await eventually(
      async () =>
        assert.deepEqual((await remote().list()).files.map((f) => [f.path, f.contentHash]).sort(), [
          ['one.txt', hashOf('one')],
          ['two.txt', hashOf('two')],
        ]),
      20_000,
      50,
    );
    assert.equal(silentBlocks(), 1);
    await eventually(() => assert.equal(silent(), 1), 10_000, 50);
    await eventually(() => assert.equal(a.engine.status.kind, 'upToDate'), 10_000, 50);
    assert.deepEqual(Object.keys(a.tree()), ['one.txt', 'two.txt']);
    assert.equal(a.conflicts.length, 0);
  });

  it('never says "Up to date" while a change waits for the server', async () => {
    const a = await faultyClient();
    a.write('synced.txt', 'same');
    await a.engine.start();
    await eventually(() => assert.equal(a.engine.status.kind, 'upToDate'), 10_000, 50);
    await proxy.down();
    a.write('waiting.txt', 'not on the server yet');
    await eventually(() => assert.equal(a.engine.status.kind, 'offline'), 10_000, 20);
    const from = a.statuses.length;
    // A change that needs nothing from the server (the same bytes again) runs a pass that has nothing to do.
    a.write('synced.txt', 'same');
    // Passes run one at a time: once two offline retries ran after the write, so did the pass for synced.txt.
    await eventually(() => assert.ok(a.statuses.slice(from).filter((s) => s.kind === 'offline').length >= 2), 15_000, 20);
    assert.deepEqual(
      a.statuses.slice(from).filter((s: SyncStatus) => s.kind === 'upToDate'),
      [],
      'up to date while waiting.txt is not on the server',
    );
    await proxy.up();
    await eventually(() => assert.equal(a.engine.status.kind, 'upToDate'), 20_000, 50);
    assert.ok((await remote().list()).files.some((f) => f.path === 'waiting.txt'));
  });

  it('leaves no abort listener behind while offline', async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const session: Session = {
        serverUrl: stack.url,
        getAccessToken: () => Promise.resolve({ accessToken: 'x.y', dataServerUrl: `http://127.0.0.1:${closed}` }),
      };
      const a = newClient({ session });
      await a.engine.start();
      // Three offline retries (0.5, 1 and 2 s apart at most): long enough for a dozen of the feed's idle waits.
      await eventually(() => assert.ok(a.statuses.filter((s) => s.kind === 'offline').length >= 4), 15_000, 50);
      assert.deepEqual(
        warnings.filter((w) => w.includes('MaxListeners')),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });
});
