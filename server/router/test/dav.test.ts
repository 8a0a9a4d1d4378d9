// WebDAV refusals and statuses against a real stack: credentials, throttling, paths, XML bodies, Destination, quota, Range.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FileEntry } from '@mydropbox/shared';
import { startStack, uploadFile, TEST_THROTTLE_POLICY, type Stack } from '../../../test/support/stack';
import { davRequest, davUser, type DavUser } from '../../../test/e2e/davSupport';

const QUOTA = 12 * 1024 * 1024;

describe('WebDAV refusals and statuses', function () {
  this.timeout(60_000);
  let stack: Stack;
  let alice: DavUser;
  let bob: DavUser;

  before(async () => {
    stack = await startStack({ quotaBytes: QUOTA });
    alice = await davUser(stack);
    bob = await davUser(stack);
  });
  after(async () => {
    await stack?.close();
  });

  const as = (user: DavUser, method: string, path: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}) =>
    davRequest(stack.url, method, path, { ...opts, auth: user.authorization });
  const list = async (user: DavUser) => (await stack.services.files.list(user.username)).map((f: FileEntry) => f.path);

  describe('credentials', () => {
    it('asks for Basic credentials, and answers OPTIONS without them', async () => {
      const res = await davRequest(stack.url, 'PROPFIND', '/dav/', { headers: { depth: '0' } });
      assert.equal(res.status, 401);
      assert.match(String(res.headers['www-authenticate']), /^Basic realm="MyDropbox"/);
      const options = await davRequest(stack.url, 'OPTIONS', '/dav/');
      assert.equal(options.status, 200);
      assert.match(String(options.headers.dav), /^1, 2/);
      assert.match(String(options.headers.allow), /PROPFIND/);
    });

    it('refuses the account password, a bearer token, another user with the right password, and a revoked app password', async () => {
      const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
      const tries = [
        basic(alice.username, alice.password),
        `Bearer ${alice.deviceToken}`,
        basic(bob.username, alice.appPassword),
        'Basic !!!',
      ];
      for (const auth of tries) {
        const res = await davRequest(stack.url, 'PROPFIND', '/dav/', { auth, headers: { depth: '0' } });
        assert.equal(res.status, 401, auth);
      }
      const carol = await davUser(stack);
      assert.equal((await as(carol, 'PROPFIND', '/dav/', { headers: { depth: '0' } })).status, 207);
      const device = (await stack.services.devices.list(carol.username)).find((d) => d.kind === 'webdav')!;
      await stack.services.devices.revoke(carol.username, device.id);
      assert.equal((await as(carol, 'PROPFIND', '/dav/', { headers: { depth: '0' } })).status, 401);
    });
  });

  describe('paths', () => {
    it('refuses "..", "." and their percent-encoded forms, and changes nothing', async () => {
      await uploadFile(alice, 'inside.txt', Buffer.from('mine'));
      for (const path of [
        '/dav/../dav/inside.txt',
        '/dav/a/../inside.txt',
        '/dav/%2e%2e/x',
        '/dav/%2E%2E%2Fx',
        '/dav/./inside.txt',
        '/dav/a%2F..%2Fb',
        '/dav/%zz',
      ]) {
        for (const method of ['GET', 'PUT', 'DELETE', 'MKCOL']) {
          const res = await as(alice, method, path, method === 'PUT' ? { body: 'evil' } : {});
          assert.equal(res.status, 400, `${method} ${path}`);
        }
      }
      assert.deepEqual(await list(alice), ['inside.txt']);
    });

    it('refuses a Destination with ".." in it', async () => {
      const res = await as(alice, 'COPY', '/dav/inside.txt', { headers: { destination: `${stack.url}/dav/x/%2e%2e/copy.txt` } });
      assert.equal(res.status, 400);
      assert.deepEqual(await list(alice), ['inside.txt']);
    });
  });

  describe('XML bodies', () => {
    it('refuses malformed XML with 400', async () => {
      for (const body of [
        '<D:propfind xmlns:D="DAV:"><D:prop>',
        '<a></b>',
        'not xml',
        '<D:propfind xmlns:D="DAV:"/><x/>',
        '<p:x xmlns:p=""/>',
        '<u:x/>',
      ]) {
        const res = await as(alice, 'PROPFIND', '/dav/', { headers: { depth: '0', 'content-type': 'application/xml' }, body });
        assert.equal(res.status, 400, body);
      }
    });

    it('refuses a DOCTYPE and external entities without reading them', async () => {
      const xxe =
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>' +
        '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><Z:leak xmlns:Z="urn:z">&x;</Z:leak></D:prop></D:set></D:propertyupdate>';
      const res = await as(alice, 'PROPPATCH', '/dav/inside.txt', { body: xxe });
      assert.equal(res.status, 400);
      assert.doesNotMatch(res.text, /root:/);
      const bomb =
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><D:propfind xmlns:D="DAV:"><D:prop>&lol2;</D:prop></D:propfind>';
      assert.equal((await as(alice, 'PROPFIND', '/dav/', { headers: { depth: '0' }, body: bomb })).status, 400);
      const props = await as(alice, 'PROPFIND', '/dav/inside.txt', {
        headers: { depth: '0' },
        body: '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
      });
      assert.doesNotMatch(props.text, /leak/);
    });

    it('refuses bodies over 1 MB with 413, and deeply nested ones', async () => {
      const huge = `<D:propfind xmlns:D="DAV:"><D:prop>${'<D:getetag/>'.repeat(100_000)}</D:prop></D:propfind>`;
      assert.equal((await as(alice, 'PROPFIND', '/dav/', { headers: { depth: '0' }, body: huge })).status, 413);
      const deep = `${'<a>'.repeat(500)}${'</a>'.repeat(500)}`;
      assert.equal((await as(alice, 'PROPFIND', '/dav/', { headers: { depth: '0' }, body: deep })).status, 400);
    });

    it('answers Depth: infinity with 403 propfind-finite-depth', async () => {
      const res = await as(alice, 'PROPFIND', '/dav/', { headers: { depth: 'infinity' } });
      assert.equal(res.status, 403);
      assert.match(res.text, /propfind-finite-depth/);
    });
  });

  describe('COPY and MOVE destinations', () => {
    it("refuses a Destination naming another user or another host, and touches neither user's files", async () => {
      await uploadFile(bob, 'bobs.txt', Buffer.from('bob'));
      const u = new URL(stack.url);
      const cases: [string, string, number][] = [
        ['MOVE', `http://${bob.username}@${u.host}/dav/stolen.txt`, 403],
        ['COPY', `http://${bob.username}:x@${u.host}/dav/bobs.txt`, 403],
        ['MOVE', `http://other.example:${u.port}/dav/elsewhere.txt`, 502],
        ['COPY', `http://127.0.0.2:${u.port}/dav/elsewhere.txt`, 502],
        ['MOVE', `${stack.url}/api/v1/elsewhere.txt`, 403],
      ];
      for (const [method, destination, status] of cases) {
        const res = await as(alice, method, '/dav/inside.txt', { headers: { destination, overwrite: 'T' } });
        assert.equal(res.status, status, `${method} ${destination}`);
      }
      assert.deepEqual(await list(alice), ['inside.txt']);
      assert.deepEqual(await list(bob), ['bobs.txt']);
    });

    it('keeps COPY and MOVE inside the signed-in user even for a path that exists for another user', async () => {
      const res = await as(alice, 'COPY', '/dav/inside.txt', { headers: { destination: `${stack.url}/dav/bobs.txt` } });
      assert.equal(res.status, 201);
      assert.deepEqual(await list(alice), ['bobs.txt', 'inside.txt']);
      const bobs = await stack.services.files.download(bob.username, 'bobs.txt');
      const chunks: Buffer[] = [];
      for await (const c of bobs.body) chunks.push(c as Buffer);
      assert.equal(Buffer.concat(chunks).toString(), 'bob');
      assert.equal((await as(alice, 'DELETE', '/dav/bobs.txt')).status, 204);
    });
  });

  describe('quota', () => {
    it('refuses a PUT past the quota with 507 (declared length or streamed), and keeps what was there', async () => {
      const erin = await davUser(stack);
      assert.equal((await as(erin, 'PUT', '/dav/keep.bin', { body: randomBytes(8 * 1024 * 1024) })).status, 201);
      const declared = await as(erin, 'PUT', '/dav/toobig.bin', { body: randomBytes(6 * 1024 * 1024) });
      assert.equal(declared.status, 507);
      assert.match(declared.text, /Quota exceeded/);
      const chunked = await fetch(`${stack.url}/dav/keep.bin`, {
        method: 'PUT',
        headers: { authorization: erin.authorization },
        body: new Blob([randomBytes(13 * 1024 * 1024)]).stream(),
        duplex: 'half',
      } as RequestInit);
      assert.equal(chunked.status, 507);
      await chunked.arrayBuffer();
      const usage = await stack.services.files.usage(erin.username);
      assert.equal(usage.usedBytes, 8 * 1024 * 1024);
      assert.deepEqual(await list(erin), ['keep.bin']);
    });
  });

  describe('reads', () => {
    it('serves Range requests with 206 and 416, and ETag, Last-Modified and Content-Type', async () => {
      const data = randomBytes(100_000);
      assert.equal((await as(alice, 'PUT', '/dav/r/%E2%9C%93%20range.txt', { body: data })).status, 409, 'no parent folder yet');
      assert.equal((await as(alice, 'MKCOL', '/dav/r/')).status, 201);
      const put = await as(alice, 'PUT', '/dav/r/%E2%9C%93%20range.txt', { body: data });
      assert.equal(put.status, 201);
      const part = await as(alice, 'GET', '/dav/r/%E2%9C%93%20range.txt', { headers: { range: 'bytes=1000-1999' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers['content-range'], 'bytes 1000-1999/100000');
      assert.deepEqual(part.body, data.subarray(1000, 2000));
      assert.equal(part.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(part.headers.etag, put.headers.etag);
      const outside = await as(alice, 'GET', '/dav/r/%E2%9C%93%20range.txt', { headers: { range: 'bytes=200000-' } });
      assert.equal(outside.status, 416);
      assert.equal(outside.headers['content-range'], 'bytes */100000');
      const head = await as(alice, 'HEAD', '/dav/r/%E2%9C%93%20range.txt');
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], '100000');
      const same = await as(alice, 'GET', '/dav/r/%E2%9C%93%20range.txt', { headers: { 'if-none-match': String(put.headers.etag) } });
      assert.equal(same.status, 304);
    });

    it('lists a folder with PROPFIND depth 1: live properties, hrefs escaped, children one level deep', async () => {
      await as(alice, 'MKCOL', '/dav/r/empty/');
      const res = await as(alice, 'PROPFIND', '/dav/r/', { headers: { depth: '1' } });
      assert.equal(res.status, 207);
      const hrefs = [...res.text.matchAll(/<D:href>([^<]+)<\/D:href>/g)].map((m) => m[1]);
      assert.deepEqual(hrefs, ['/dav/r/', '/dav/r/empty/', '/dav/r/%E2%9C%93%20range.txt']);
      assert.match(res.text, /<D:getcontentlength>100000<\/D:getcontentlength>/);
      assert.match(res.text, /<D:getetag>"[0-9a-f]{64}"<\/D:getetag>/);
      assert.match(res.text, /<D:resourcetype><D:collection\/><\/D:resourcetype>/);
      assert.match(res.text, /<D:creationdate>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/D:creationdate>/);
      const quota = await as(alice, 'PROPFIND', '/dav/', {
        headers: { depth: '0' },
        body: '<D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>',
      });
      assert.match(quota.text, /<D:quota-used-bytes>\d+<\/D:quota-used-bytes>/);
    });

    it('answers 405 for an unknown method and 403 for deleting the top folder', async () => {
      assert.equal((await as(alice, 'PATCH', '/dav/inside.txt')).status, 405);
      assert.equal((await as(alice, 'DELETE', '/dav/')).status, 403);
      assert.equal((await as(alice, 'MKCOL', '/dav/inside.txt')).status, 405);
      assert.equal((await as(alice, 'MKCOL', '/dav/newdir', { body: '<x/>' })).status, 415);
    });

    it('copies dead properties with COPY, moves them with MOVE, drops them with DELETE, and a new file starts without any', async () => {
      const set = (path: string, value: string) =>
        as(alice, 'PROPPATCH', path, {
          body: `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:test"><D:set><D:prop><Z:colour>${value}</Z:colour></D:prop></D:set></D:propertyupdate>`,
        });
      const colour = async (path: string) => {
        const res = await as(alice, 'PROPFIND', path, {
          headers: { depth: '0' },
          body: '<D:propfind xmlns:D="DAV:"><D:prop><Z:colour xmlns:Z="urn:test"/></D:prop></D:propfind>',
        });
        return /<P:colour xmlns:P="urn:test">([^<]*)<\/P:colour>/.exec(res.text)?.[1];
      };
      assert.equal((await as(alice, 'MKCOL', '/dav/p/')).status, 201);
      assert.equal((await as(alice, 'PUT', '/dav/p/f.txt', { body: 'x' })).status, 201);
      assert.equal((await set('/dav/p/', 'blue')).status, 207);
      assert.equal((await set('/dav/p/f.txt', 'red')).status, 207);
      assert.equal((await as(alice, 'COPY', '/dav/p/', { headers: { destination: `${stack.url}/dav/q/` } })).status, 201);
      assert.equal(await colour('/dav/q/f.txt'), 'red');
      assert.equal((await as(alice, 'MOVE', '/dav/q/', { headers: { destination: `${stack.url}/dav/r2/` } })).status, 201);
      assert.equal(await colour('/dav/r2/'), 'blue');
      assert.equal(await colour('/dav/r2/f.txt'), 'red');
      assert.equal((await as(alice, 'DELETE', '/dav/r2/')).status, 204);
      assert.equal((await as(alice, 'MKCOL', '/dav/r2/')).status, 201);
      assert.equal(await colour('/dav/r2/'), undefined);
      // A file deleted by another door leaves no properties for the next file at that path.
      await stack.services.files.delete(alice.username, 'p/f.txt');
      assert.equal((await as(alice, 'PUT', '/dav/p/f.txt', { body: 'new' })).status, 201);
      assert.equal(await colour('/dav/p/f.txt'), undefined);
      assert.equal(await colour('/dav/p/'), 'blue');
    });

    it('refuses to change a locked file without its token (423), and allows it with the token', async () => {
      const lock = await as(alice, 'LOCK', '/dav/inside.txt', {
        headers: { timeout: 'Second-60' },
        body: '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>',
      });
      assert.equal(lock.status, 200);
      const token = String(lock.headers['lock-token']);
      assert.equal((await as(alice, 'PUT', '/dav/inside.txt', { body: 'changed' })).status, 423);
      assert.equal((await as(alice, 'DELETE', '/dav/inside.txt')).status, 423);
      assert.equal((await as(alice, 'PUT', '/dav/inside.txt', { body: 'changed', headers: { if: `(${token})` } })).status, 204);
      assert.equal((await as(alice, 'UNLOCK', '/dav/inside.txt', { headers: { 'lock-token': token } })).status, 204);
      assert.equal((await as(alice, 'DELETE', '/dav/inside.txt')).status, 204);
    });
  });
});

describe('WebDAV throttling', function () {
  this.timeout(60_000);
  // Its own stack: locking out 127.0.0.1 would refuse every other test's requests.
  let own: Stack;
  before(async () => {
    own = await startStack({ throttlePolicy: { ...TEST_THROTTLE_POLICY, appPassword: { ...TEST_THROTTLE_POLICY.appPassword, limit: 3 } } });
  });
  after(async () => own?.close());

  it('throttles wrong app passwords per address (429 with Retry-After), and wrong account passwords never lock WebDAV out', async () => {
    const dave = await davUser(own);
    for (let i = 0; i < 6; i++) {
      const signIn = await fetch(`${own.apiUrl}/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: dave.username, password: `wrong ${i}` }),
      });
      await signIn.arrayBuffer();
    }
    assert.equal(
      (await davRequest(own.url, 'PROPFIND', '/dav/', { auth: dave.authorization, headers: { depth: '0' } })).status,
      207,
      'the app password still works',
    );
    const wrong = `Basic ${Buffer.from(`${dave.username}:mdbw_not-the-password`).toString('base64')}`;
    for (let i = 0; i < 3; i++) assert.equal((await davRequest(own.url, 'GET', '/dav/', { auth: wrong })).status, 401);
    const locked = await davRequest(own.url, 'GET', '/dav/', { auth: dave.authorization });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.match(locked.text, /Too many wrong app passwords from your network address/);
  });
});
