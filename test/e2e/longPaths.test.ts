// Issue 13.8 through every door: a valid 4,079-byte path (each name within 255 bytes) is too long for a data server once
// under its storage folder; WebDAV, the website and the data-server API answer a clear 400, never a 500.
import assert from 'node:assert/strict';
import { blockHashesOf } from '@mydropbox/shared';
import { startStack, type Stack } from '../support/stack';
import { davRequest, davUser } from './davSupport';
import { csrfToken, signedUpBrowser } from '../../server/web/test/webClient';

/** 15 folders (3,823 bytes: short enough to create) and a 255-byte file name in the last: 4,079 bytes in all. */
const folders = Array.from({ length: 15 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(i === 14 ? 251 : 252)}`).join('/');
const longPath = `${folders}/${'y'.repeat(255)}`;
const davHref = (p: string) => `/dav/${p.split('/').map(encodeURIComponent).join('/')}`;

describe('a path too long for the data server, through WebDAV, the website and the API', function () {
  this.timeout(60_000);
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.close();
  });

  it('is 4,079 bytes, every name within 255', () => {
    assert.equal(Buffer.byteLength(folders), 3823);
    assert.equal(Buffer.byteLength(longPath), 4079);
    assert.ok(longPath.split('/').every((s) => Buffer.byteLength(s) <= 255));
  });

  it('WebDAV: a PUT and a MOVE to it answer 400 with the reason', async () => {
    const user = await davUser(stack);
    const segments = folders.split('/');
    for (let i = 1; i <= segments.length; i++) {
      const mkcol = await davRequest(stack.url, 'MKCOL', davHref(segments.slice(0, i).join('/')), { auth: user.authorization });
      assert.equal(mkcol.status, 201, mkcol.text);
    }
    const href = davHref(longPath);
    const put = await davRequest(stack.url, 'PUT', href, { auth: user.authorization, body: 'some bytes' });
    assert.equal(put.status, 400, put.text);
    assert.match(put.text, /this server stores paths of at most \d+ bytes/);
    assert.equal((await davRequest(stack.url, 'PUT', '/dav/short.txt', { auth: user.authorization, body: 'x' })).status, 201);
    const move = await davRequest(stack.url, 'MOVE', '/dav/short.txt', {
      auth: user.authorization,
      headers: { destination: `${stack.url}${href}` },
    });
    assert.equal(move.status, 400, move.text);
    const get = await davRequest(stack.url, 'GET', href, { auth: user.authorization });
    assert.ok(get.status === 400 || get.status === 404, `GET: ${get.status}`);
  });

  it('the website: an upload to it answers 400 with the reason in words', async () => {
    const web = await signedUpBrowser(stack.url, 'longpaths');
    const csrf = csrfToken((await web.get('/files')).html);
    const data = Buffer.from('some bytes');
    const head = Buffer.alloc(36);
    Buffer.from(blockHashesOf(data)[0]!, 'hex').copy(head);
    head.writeUInt32BE(data.length, 32);
    const sent = await web.request('/files/upload/blocks', {
      method: 'POST',
      headers: { 'x-csrf-token': csrf, accept: 'application/json' },
      body: Buffer.concat([head, data]),
    });
    assert.equal(sent.status, 204, await sent.text());
    const res = await web.request('/files/upload/commit-batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ commits: [{ path: longPath, size: data.length, blocks: blockHashesOf(data), baseRev: null }] }),
    });
    const text = await res.text();
    assert.notEqual(res.status, 500, text);
    assert.match(text, /invalid_path/);
    assert.match(text, /this server stores paths of at most \d+ bytes/);
    const download = await web.request(`/files/download?path=${encodeURIComponent(longPath)}`);
    assert.ok(download.status === 400 || download.status === 404, `download: ${download.status}`);
  });
});
