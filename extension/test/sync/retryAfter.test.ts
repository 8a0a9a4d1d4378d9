import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemoteClient } from '../../src/sync/remote';

/** A server that is busy once: 429 with Retry-After, then a listing. */
function busyOnce(retryAfter: string): Promise<{ url: string; arrivals: number[]; close(): void }> {
  const arrivals: number[] = [];
  const server = http.createServer((_req, res) => {
    arrivals.push(Date.now());
    if (arrivals.length === 1) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter });
      res.end(JSON.stringify({ error: { code: 'rate_limited', message: 'Slow down.' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ files: [], cursor: 'c1' }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals, close: () => server.close() }),
    ),
  );
}

describe('the sync client and a busy server', () => {
  it('waits as long as Retry-After asks before trying again, not its own shorter backoff', async () => {
    const server = await busyOnce('1');
    try {
      const session = { serverUrl: server.url, getAccessToken: async () => ({ accessToken: 't', dataServerUrl: server.url }) };
      const remote = new RemoteClient(session, { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 });
      const list = await remote.list();
      assert.deepEqual(list.files, []);
      assert.equal(server.arrivals.length, 2);
      assert.ok(server.arrivals[1]! - server.arrivals[0]! >= 950, `tried again after ${server.arrivals[1]! - server.arrivals[0]!} ms`);
    } finally {
      server.close();
    }
  });
});
