// The `mydropbox` daemon against a hostile server: bad paths are skipped and listed one by one, nothing lands outside the folder.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type net from 'node:net';
import { blockHashesOf, contentHashOfBlocks } from '@mydropbox/shared';
import { runCliProcess } from '../../extension/test/cli/run';
import { readTree } from '../../extension/test/sync/client';
import { EXIT } from '../../extension/src/cli/main';

/**
 * Answers just enough of the router and data-server protocol for a sign-in and a sync, listing
 * `files` (whatever they claim) and serving `content` for the paths that have some.
 */
function hostileServer(files: unknown[], content: Record<string, Buffer>): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const json = (body: unknown, status = 200) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    const dataServer = { id: 1, url: base };
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /.well-known/mydropbox.json':
        return json({ name: 'MyDropbox', apiUrl: `${base}/api/v1`, webUrl: base });
      case 'POST /api/v1/sessions':
        return json({ username: 'victim', deviceId: 1, deviceToken: 'device-token', dataServer });
      case 'POST /api/v1/access-tokens': {
        const claims = Buffer.from(JSON.stringify({ sub: 'victim', sid: 1, scope: 'user', exp: 9e9 })).toString('base64url');
        return json({ accessToken: `${claims}.sig`, expiresAt: Date.now() + 3_600_000, dataServer });
      }
      case 'GET /v1/files':
        return json({ files, cursor: '1' });
      case 'GET /v1/changes':
        return json({ changes: [], cursor: '1' });
      case 'GET /v1/files/content': {
        const body = content[url.searchParams.get('path') ?? ''];
        if (!body) return json({ error: { code: 'not_found', message: 'no' } }, 404);
        res.writeHead(200, { 'content-length': body.length });
        return res.end(body);
      }
      default:
        return json({ error: { code: 'not_found', message: `${req.method} ${url.pathname}` } }, 404);
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
      }),
    ),
  );
}

const entry = (p: unknown, body: Buffer, extra: Record<string, unknown> = {}) => ({
  path: p,
  size: body.length,
  contentHash: contentHashOfBlocks(blockHashesOf(body)),
  rev: 1,
  modifiedAt: 1_700_000_000_000,
  ...extra,
});

describe('mydropbox daemon against a hostile server', function () {
  this.timeout(60_000);

  it('skips and lists each unsafe or malformed path, syncs the good ones, writes nothing outside the folder, exit 6', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-hostile-'));
    const good = Buffer.from('a good file');
    const evil = Buffer.from('evil');
    const files = [
      entry('good.txt', good),
      entry('sub/also good.txt', good),
      entry('../escape.txt', evil),
      entry('../../escape2.txt', evil),
      entry('/tmp/absolute.txt', evil),
      entry('nul\u0000byte.txt', evil),
      entry('a/./b.txt', evil),
      entry('back\\slash.txt', evil),
      entry('C:/drive.txt', evil),
      entry('', evil),
      entry(42, evil),
      entry('negative-size.txt', evil, { size: -5 }),
      entry('bad-hash.txt', evil, { contentHash: 'not a hash' }),
      { path: 'half-an-entry.txt' },
    ];
    const content: Record<string, Buffer> = { 'good.txt': good, 'sub/also good.txt': good };
    for (const f of files) if (typeof f.path === 'string' && !(f.path in content)) content[f.path] = evil;
    const server = await hostileServer(files, content);
    try {
      const env = { MYDROPBOX_CONFIG_DIR: path.join(home, 'config'), HOME: home, MYDROPBOX_PASSWORD: 'x' };
      const login = await runCliProcess(['login', '--server', server.url, '--username', 'victim'], env);
      assert.equal(login.code, 0, login.stderr);
      const folder = path.join(home, 'in', 'myDropbox');
      const once = await runCliProcess(['sync', '--once', folder], env);
      assert.equal(once.code, EXIT.notSynced, once.stderr + once.stdout);
      assert.deepEqual(readTree(folder), {
        'good.txt': good.toString('base64'),
        'sub/also good.txt': good.toString('base64'),
      });
      assert.deepEqual(fs.readdirSync(path.join(home, 'in')), ['myDropbox'], 'nothing beside the folder');
      assert.deepEqual(fs.readdirSync(home).sort(), ['config', 'in']);
      assert.equal(fs.existsSync('/tmp/absolute.txt'), false);
      for (const shown of ['../escape.txt', '/tmp/absolute.txt', 'a/./b.txt', 'negative-size.txt', 'bad-hash.txt', 'half-an-entry.txt'])
        assert.ok(once.stdout.includes(shown), `${shown} is listed:\n${once.stdout}`);
      assert.match(once.stdout, /12 items not synced/);
    } finally {
      await server.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
