// The files page's calls over real HTTP: uploads, organising, zips and share links, with bad values, foreign paths and expiries.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { BLOCK_SIZE, blockHashesOf } from '@mydropbox/shared';
import { startStack, TEST_PASSWORD, type Stack } from '../../../test/support/stack';
import { WebClient, csrfToken, signedUpBrowser } from './webClient';

describe('website file calls (HTTP)', function () {
  this.timeout(60_000);
  let stack: Stack;
  let offset = 0;
  let web: WebClient;
  let csrf: string;

  before(async () => {
    stack = await startStack({ now: () => Date.now() + offset });
    web = await signedUpBrowser(stack.url, 'apiuser');
    csrf = csrfToken((await web.get('/files')).html);
  });
  after(async () => {
    await stack?.close();
  });

  // Answers are read field by field in the assertions.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Json = any;

  async function api(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Json }> {
    const res = await web.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf, ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  }

  async function putBlock(uploadId: string, index: number, data: Buffer, headers: Record<string, string> = {}): Promise<Response> {
    return web.request(`/files/upload/sessions/${uploadId}/blocks/${index}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', accept: 'application/json', 'x-csrf-token': csrf, ...headers },
      body: data,
    });
  }

  /** Uploads through the website's calls as the page's script does (big file: session; small: batch). */
  async function uploadViaWeb(path: string, data: Buffer): Promise<void> {
    const blocks = blockHashesOf(data);
    if (data.length > BLOCK_SIZE) {
      const open = await api('/files/upload/open', { path, size: data.length, blocks });
      assert.equal(open.status, 200, JSON.stringify(open.json));
      for (const i of open.json.missing as number[]) {
        const res = await putBlock(open.json.uploadId, i, data.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
        assert.equal(res.status, 204, await res.text());
      }
      const commit = await api('/files/upload/commit', {
        path,
        size: data.length,
        blocks,
        baseRev: open.json.baseRev,
        uploadId: open.json.uploadId,
      });
      assert.equal(commit.status, 200, JSON.stringify(commit.json));
      return;
    }
    const head = Buffer.alloc(36);
    Buffer.from(blocks[0]!, 'hex').copy(head);
    head.writeUInt32BE(data.length, 32);
    const body = Buffer.concat([head, data]);
    const sent = await web.request('/files/upload/blocks', {
      method: 'POST',
      headers: { 'x-csrf-token': csrf, accept: 'application/json' },
      body,
    });
    assert.equal(sent.status, 204, await sent.text());
    const commit = await api('/files/upload/commit-batch', { commits: [{ path, size: data.length, blocks, baseRev: null }] });
    assert.equal(commit.status, 200);
    assert.ok(commit.json.results[0].file, JSON.stringify(commit.json));
  }

  describe('uploads', () => {
    it('puts big and small files in place byte for byte, and a second upload of the same bytes sends nothing', async () => {
      const big = randomBytes(BLOCK_SIZE * 2 + 99);
      await uploadViaWeb('in/big.bin', big);
      await uploadViaWeb('small.txt', Buffer.from('small and simple'));
      const res = await web.request('/files/download?path=in%2Fbig.bin');
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(big));
      const again = await api('/files/upload/open', { path: 'in/again.bin', size: big.length, blocks: blockHashesOf(big) });
      assert.deepEqual(again.json.missing, []);
      assert.equal(again.json.uploadId, undefined, 'no session when every block is held');
    });

    it('refuses calls without the page’s CSRF token, and from logged-out visitors', async () => {
      const noToken = await api('/files/upload/check', { files: [{ path: 'a', size: 1 }] }, { 'x-csrf-token': '' });
      assert.equal(noToken.status, 403);
      assert.equal(noToken.json.error.code, 'forbidden');
      const forged = await api('/files/upload/check', { files: [{ path: 'a', size: 1 }] }, { 'x-csrf-token': 'forged' });
      assert.equal(forged.status, 403);
      const stranger = new WebClient(stack.url);
      const page = await stranger.get('/login');
      const res = await stranger.request('/files/upload/check', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrfToken(page.html) },
        body: JSON.stringify({ files: [{ path: 'a', size: 1 }] }),
      });
      assert.equal(res.status, 401);
    });

    it('says in words which names cannot be stored and what does not fit, before any bytes', async () => {
      const check = await api('/files/upload/check', {
        dir: 'in',
        files: [
          { path: '../escape.txt', size: 1 },
          { path: 'ok.txt', size: 1 },
          { path: 'con\u0000trol', size: 1 },
          { path: 'huge.iso', size: 6_000_000_000 },
          { path: 'big.bin', size: 5 },
        ],
      });
      assert.equal(check.status, 200);
      const [escape, ok, control, huge, existing] = check.json.files;
      assert.match(escape.problem, /"\.\."/);
      assert.equal(ok.problem, undefined);
      assert.equal(ok.path, 'in/ok.txt');
      assert.match(control.problem, /control character/);
      assert.match(huge.problem, /“huge\.iso” \(6 GB\) does not fit/);
      assert.equal(typeof existing.rev, 'number', 'an existing file is named with its revision, so the page can ask before replacing');
    });

    it('refuses malformed bodies, wrong block lists, oversized and corrupt blocks, and unsent blocks', async () => {
      const bad = await web.request('/files/upload/open', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
        body: '{not json',
      });
      assert.equal(bad.status, 400);
      const wrongCount = await api('/files/upload/open', { path: 'x.bin', size: BLOCK_SIZE + 1, blocks: ['a'.repeat(64)] });
      assert.equal(wrongCount.status, 400);
      assert.match(wrongCount.json.error.message, /has 2 blocks, not 1/);
      const badHash = await api('/files/upload/open', { path: 'x.bin', size: 1, blocks: ['zz'] });
      assert.equal(badHash.status, 400);
      const traversal = await api('/files/upload/open', { path: '../x.bin', size: 0, blocks: [] });
      assert.equal(traversal.status, 400);
      assert.equal(traversal.json.error.code, 'invalid_path');

      const data = randomBytes(BLOCK_SIZE + 10);
      const blocks = blockHashesOf(data);
      const open = await api('/files/upload/open', { path: 'x.bin', size: data.length, blocks });
      const tooBig = await putBlock(open.json.uploadId, 1, randomBytes(BLOCK_SIZE + 1));
      assert.equal(tooBig.status, 413);
      const corrupt = await putBlock(open.json.uploadId, 0, randomBytes(BLOCK_SIZE));
      assert.equal(corrupt.status, 400);
      assert.equal(((await corrupt.json()) as Json).error.code, 'hash_mismatch');
      const noSession = await putBlock('0'.repeat(32), 0, data.subarray(0, BLOCK_SIZE));
      assert.equal(noSession.status, 404);
      const early = await api('/files/upload/commit', { path: 'x.bin', size: data.length, blocks, baseRev: null });
      assert.equal(early.status, 409);
      assert.equal(early.json.error.code, 'block_missing');
      const foreignPath = await web.request(`/files/upload/sessions/${open.json.uploadId}/blocks/..%2F1`, {
        method: 'PUT',
        headers: { 'x-csrf-token': csrf, accept: 'application/json' },
      });
      assert.equal(foreignPath.status, 400);
    });
  });

  describe('organising', () => {
    async function form(action: string, fields: Record<string, string | string[]>): Promise<string> {
      const body = new URLSearchParams();
      body.set('_csrf', csrf);
      for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
      const res = await web.request(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
      });
      assert.equal(res.status, 302, await res.text());
      const page = await web.get(res.headers.get('location')!);
      return /class="alert (?:success|error)" role="(?:status|alert)">([^<]*)</.exec(page.html)?.[1] ?? '';
    }

    it('makes, renames, moves and deletes, and says why a bad request was refused', async () => {
      assert.equal(await form('/files/new-folder', { dir: '', name: 'Box' }), 'Created the folder “Box”.');
      assert.match(await form('/files/new-folder', { dir: '', name: 'Box' }), /already a file or folder named “Box”/);
      assert.match(await form('/files/new-folder', { dir: '', name: 'a/b' }), /cannot contain &quot;\/&quot;/);
      assert.match(await form('/files/new-folder', { dir: '', name: '..' }), /&quot;\.\.&quot;/);
      assert.match(await form('/files/rename', { path: 'small.txt', name: 'Box' }), /already a folder named “Box”/);
      assert.equal(await form('/files/rename', { path: 'small.txt', name: 'tiny.txt' }), 'Renamed “small.txt” to “tiny.txt”.');
      assert.match(await form('/files/rename', { path: 'small.txt', name: 'x' }), /not there any more/);
      assert.match(await form('/files/move', { path: 'Box', to: 'Box' }), /cannot go into itself/);
      assert.equal(await form('/files/move', { path: ['tiny.txt', 'in'], to: 'Box' }), 'Moved 2 items to “Box”.');
      assert.match(await form('/files/move', { path: 'Box/tiny.txt', to: 'nowhere' }), /no folder “nowhere”/);
      const listing = await web.get('/files?dir=Box%2Fin');
      assert.match(listing.html, /big\.bin/);
      assert.equal(await form('/files/delete', { path: ['Box/in/again.bin'], dir: 'Box/in' }), 'Deleted “again.bin”.');
      // A path outside the account cannot be named at all.
      assert.match(await form('/files/delete', { path: '../../etc/passwd' }), /&quot;\.\.&quot;/);
      assert.match(await form('/files/move', { path: 'Box', to: '/etc' }), /relative/);
      const noToken = await web.request('/files/delete', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ path: 'Box' }).toString(),
      });
      assert.equal(noToken.status, 403);
      assert.match((await web.get('/files')).html, /Box/, 'nothing was deleted without the token');
    });

    it('streams a folder as a zip with the user-content headers, and refuses bad folders', async () => {
      const res = await web.request('/files/zip?dir=Box');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="Box\.zip"/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.match(res.headers.get('content-security-policy') ?? '', /^sandbox/);
      const zip = Buffer.from(await res.arrayBuffer());
      assert.equal(zip.subarray(0, 4).toString('hex'), '504b0304', 'a zip starts with a local file header');
      assert.ok(zip.includes(Buffer.from('Box/in/big.bin')));
      assert.equal((await web.request('/files/zip?dir=..%2Fetc')).status, 400);
      assert.equal((await web.request('/files/zip?dir=nothing-here')).status, 404);
    });
  });

  describe('share links', () => {
    async function share(path: string, extra: Record<string, string> = {}): Promise<string> {
      const page = await web.post('/shared-links', { _csrf: csrf, path, ...extra });
      assert.equal(page.status, 200, page.html.slice(0, 300));
      const m = /id="share-link" type="text" value="([^"]+)"/.exec(page.html);
      assert.ok(m, 'the new link is shown');
      return new URL(m[1]!).pathname;
    }

    it('opens for anyone without an account, stays inside what it shares, and answers 410 once expired', async () => {
      const link = await share('Box', { expires: '1' });
      assert.match(link, /^\/s\/mdbs_[A-Za-z0-9_-]{43}$/);
      assert.equal(createHash('sha256').update(link).digest('hex').length, 64);
      const anon = new WebClient(stack.url);
      const page = await anon.get(link);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('x-robots-tag'), 'noindex, nofollow');
      assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
      assert.match(page.html, /<meta name="robots" content="noindex, nofollow">/);
      assert.match(page.html, /tiny\.txt/);
      assert.doesNotMatch(page.html, /apiuser/, 'nothing of the account shows');
      const file = await anon.request(`${link}/download?path=tiny.txt`);
      assert.equal(await file.text(), 'small and simple');
      assert.match(file.headers.get('content-security-policy') ?? '', /^sandbox/);
      for (const outside of ['..%2Fsmall.txt', '..', '%2Fetc%2Fpasswd', 'in%2F..%2F..%2Fx']) {
        const res = await anon.request(`${link}/download?path=${outside}`);
        assert.ok(res.status === 400 || res.status === 404, `${outside}: ${res.status}`);
      }
      assert.equal((await anon.get('/s/mdbs_not-a-real-token')).status, 404);
      assert.equal((await anon.get('/s/whatever')).status, 404);
      offset += 2 * 86_400_000;
      try {
        const expired = await anon.get(link);
        assert.equal(expired.status, 410);
        assert.match(expired.html, /This link has expired/);
        assert.equal((await anon.request(`${link}/download?path=tiny.txt`)).status, 410);
        assert.equal((await anon.request(`${link}/zip`)).status, 410);
      } finally {
        offset = 0;
      }
    });

    it('asks for the password, throttles guessing, and a file link shares that file only', async () => {
      const link = await share('Box/tiny.txt', { password: 'correct horse' });
      const anon = new WebClient(stack.url);
      const locked = await anon.get(link);
      assert.equal(locked.status, 401);
      assert.doesNotMatch(locked.html, /tiny\.txt/);
      assert.equal((await anon.request(`${link}/download`)).status, 401);
      let last = await anon.submit(link, `${link}/unlock`, { password: 'wrong' });
      assert.equal(last.status, 401);
      for (let i = 0; i < 12 && last.status !== 429; i++) last = await anon.submit(link, `${link}/unlock`, { password: `wrong ${i}` });
      assert.equal(last.status, 429, 'guessing is throttled');
      assert.match(last.html, /Too many wrong passwords for this link/);
      const friend = new WebClient(stack.url, 'another browser');
      const unlocked = await friend.submit(link, `${link}/unlock`, { password: 'correct horse' });
      // Loopback is one address: the friend shares the guesser's lock, as a network would.
      assert.equal(unlocked.status, 429);
    });

    it('lists links with their counts, and a revoked link stops at once', async () => {
      const link = await share('Box');
      const anon = new WebClient(stack.url);
      await (await anon.request(`${link}/download?path=tiny.txt`)).arrayBuffer();
      const list = await web.get('/shared-links');
      assert.match(list.html, /Revoke the link to Box/);
      const id = /action="\/shared-links\/(\d+)\/revoke"/.exec(list.html)![1];
      const other = new WebClient(stack.url);
      await other.submit('/signup', '/signup', { username: 'otheruser', email: 'other@example.com', password: TEST_PASSWORD });
      const notYours = await other.submit('/files', `/shared-links/${id}/revoke`, {});
      assert.equal(notYours.status, 404, 'another account cannot revoke it');
      const revoked = await web.post(`/shared-links/${id}/revoke`, { _csrf: csrf });
      assert.equal(revoked.status, 302);
      assert.equal((await anon.get(link)).status, 404);
      assert.equal((await anon.request(`${link}/zip`)).status, 404);
    });
  });
});
