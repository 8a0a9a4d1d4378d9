// The website over real HTTP against the whole stack: security headers, cookies, CSRF, escaping, paths, downloads, devices.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { startStack, uploadFile, TEST_PASSWORD, type Stack, type StackUser } from '../../../test/support/stack';
import { WebClient, alertText, csrfToken, signedUpBrowser } from './webClient';

// A '/' makes this a folder "<script>alert(1)<" holding "script>.txt": both names must come out escaped.
const XSS_NAME = '<script>alert(1)</script>.txt';
const XSS_FILE = '<img src=x onerror=alert(1)>.txt';

describe('website (HTTP)', function () {
  this.timeout(60_000);
  let stack: Stack;
  let vsixDir: string;

  before(async () => {
    vsixDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-vsix-'));
    stack = await startStack({ vsixPath: path.join(vsixDir, 'mydropbox.vsix') });
  });
  after(async () => {
    await stack?.close();
    fs.rmSync(vsixDir, { recursive: true, force: true });
  });

  describe('headers and pages', () => {
    it('sends a strict CSP and the other security headers on every page', async () => {
      const web = new WebClient(stack.url);
      for (const p of ['/', '/login', '/signup', '/client', '/no-such-page']) {
        const page = await web.get(p);
        const csp = page.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'self'/, p);
        assert.match(csp, /frame-ancestors 'none'/, p);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, p);
        assert.equal(page.headers.get('x-frame-options'), 'DENY', p);
        assert.equal(page.headers.get('x-content-type-options'), 'nosniff', p);
        assert.ok(page.headers.get('referrer-policy'), p);
        assert.doesNotMatch(page.html, /<script>(?!<\/script>)|style="|onclick=/i, `${p} has inline code`);
      }
    });

    it('shows the landing page with the way in, and a friendly 404 for unknown pages', async () => {
      const web = new WebClient(stack.url);
      const landing = await web.get('/');
      assert.equal(landing.status, 200);
      assert.match(landing.html, /href="\/signup"/);
      assert.match(landing.html, /href="\/login"/);
      const missing = await web.get('/definitely/not/here');
      assert.equal(missing.status, 404);
      assert.match(missing.headers.get('content-type') ?? '', /text\/html/);
      assert.match(missing.html, /We could not find that page/);
    });

    it('serves the stylesheet and icons, and nothing outside public/', async () => {
      const web = new WebClient(stack.url);
      const css = await web.request('/static/style.css');
      assert.equal(css.status, 200);
      assert.match(css.headers.get('content-type') ?? '', /text\/css/);
      assert.equal((await web.request('/static/icons/folder.svg')).status, 200);
      for (const p of ['/static/../app.ts', '/static/%2e%2e/app.ts', '/static/views/layout.eta', '/static/']) {
        assert.equal((await web.request(p)).status, 404, p);
      }
    });

    it('serves the discovery document with the API and WebDAV addresses', async () => {
      const res = await fetch(`${stack.url}/.well-known/mydropbox.json`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        name: 'MyDropbox',
        apiUrl: `${stack.url}/api/v1`,
        webUrl: stack.url,
        davUrl: `${stack.url}/dav/`,
      });
    });

    it('hands /api/ and /healthz to the router and keeps /dav/ apart', async () => {
      const health = await fetch(`${stack.url}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, 'ok');
      const api = await fetch(`${stack.url}/api/v1/me`);
      assert.equal(api.status, 401);
      assert.match(api.headers.get('content-type') ?? '', /json/);
      const dav = await fetch(`${stack.url}/dav/`);
      assert.notEqual(dav.status, 200);
      await dav.arrayBuffer();
    });
  });

  describe('sign up, log in, log out', () => {
    it('signs up and sets signed HttpOnly SameSite=Lax session and CSRF cookies', async () => {
      const web = new WebClient(stack.url);
      const form = await web.get('/signup');
      const csrfCookie = form.headers.getSetCookie().find((c) => c.startsWith('mdb_csrf='));
      assert.ok(csrfCookie, 'the CSRF secret cookie is set with the form');
      assert.match(csrfCookie!, /httponly/i);
      assert.match(csrfCookie!, /samesite=lax/i);
      assert.ok(
        form.headers.getSetCookie().some((c) => c.startsWith('mdb_csrf.sig=')),
        'the CSRF cookie is signed',
      );
      const res = await web.post('/signup', {
        _csrf: csrfToken(form.html),
        username: 'cookiecheck',
        email: 'cookiecheck@example.com',
        password: TEST_PASSWORD,
      });
      assert.equal(res.status, 302);
      const session = res.headers.getSetCookie().find((c) => c.startsWith('mdb_session='));
      assert.ok(session, 'a session cookie is set');
      assert.match(session!, /httponly/i);
      assert.match(session!, /samesite=lax/i);
      assert.match(session!, /path=\//i);
      assert.ok(
        res.headers.getSetCookie().some((c) => c.startsWith('mdb_session.sig=')),
        'the session cookie is signed',
      );
      const files = await web.get('/files');
      assert.equal(files.status, 200);
      assert.match(files.html, /cookiecheck/);
    });

    it('refuses a forged session cookie (bad signature)', async () => {
      const web = await signedUpBrowser(stack.url, 'forgery');
      web.cookies.set('mdb_session', 'mdbd_forged-token-value');
      const res = await web.get('/files');
      assert.equal(res.status, 302);
      assert.match(res.location ?? '', /^\/login/);
    });

    it('refuses forms without a valid CSRF token and creates nothing', async () => {
      const web = new WebClient(stack.url);
      // No CSRF cookie at all (a cross-site POST from a fresh browser).
      let res = await web.post('/signup', { username: 'csrfvictim', email: 'csrfvictim@example.com', password: TEST_PASSWORD });
      assert.equal(res.status, 403);
      assert.match(res.html, /form has expired or came from another site/);
      // A cookie but a missing or wrong token.
      await web.get('/signup');
      res = await web.post('/signup', { username: 'csrfvictim', email: 'csrfvictim@example.com', password: TEST_PASSWORD });
      assert.equal(res.status, 403);
      res = await web.post('/signup', {
        _csrf: 'abc-def',
        username: 'csrfvictim',
        email: 'csrfvictim@example.com',
        password: TEST_PASSWORD,
      });
      assert.equal(res.status, 403);
      // A token from another visitor's secret.
      const other = new WebClient(stack.url);
      const stolen = csrfToken((await other.get('/login')).html);
      res = await web.post('/login', { _csrf: stolen, username: 'csrfvictim', password: TEST_PASSWORD });
      assert.equal(res.status, 403);
      await assert.rejects(stack.services.accounts.getUser('csrfvictim'), /no account/);
      // Logged-in forms too: logout, app passwords and revoking need the token.
      const victim = await signedUpBrowser(stack.url, 'csrflogged');
      assert.equal((await victim.post('/logout', {})).status, 403);
      assert.equal((await victim.post('/devices/app-passwords', { name: 'evil' })).status, 403);
      assert.equal((await victim.get('/files')).status, 200, 'still signed in after the refused logout');
      const devices = await stack.services.devices.list('csrflogged');
      assert.equal(devices.filter((d) => d.kind === 'webdav').length, 0);
    });

    it('shows sign-up errors in words and keeps what was typed, never the password', async () => {
      await signedUpBrowser(stack.url, 'taken');
      const web = new WebClient(stack.url);
      let res = await web.submit('/signup', '/signup', { username: 'taken', email: 'fresh@example.com', password: 'a secret password' });
      assert.equal(res.status, 409);
      assert.match(alertText(res.html) ?? '', /That username is taken/);
      assert.match(res.html, /value="fresh@example.com"/);
      assert.doesNotMatch(res.html, /a secret password/);
      res = await web.submit('/signup', '/signup', { username: 'another', email: 'taken@example.com', password: 'a secret password' });
      assert.equal(res.status, 409);
      assert.match(alertText(res.html) ?? '', /already has an account/);
      res = await web.submit('/signup', '/signup', { username: 'shorty', email: 'shorty@example.com', password: 'short' });
      assert.equal(res.status, 400);
      assert.match(alertText(res.html) ?? '', /at least 8 characters/);
      res = await web.submit('/signup', '/signup', { username: 'weakling', email: 'weak@example.com', password: '12345678' });
      assert.equal(res.status, 400);
      assert.match(alertText(res.html) ?? '', /one of the most commonly used passwords/);
      assert.equal(await stack.services.accounts.getUser('weakling').catch(() => undefined), undefined);
      res = await web.submit('/signup', '/signup', { username: '', email: '', password: '' });
      assert.equal(res.status, 400);
      assert.match(alertText(res.html) ?? '', /Choose a username/);
    });

    it('escapes what people type when showing it back', async () => {
      const web = new WebClient(stack.url);
      const res = await web.submit('/signup', '/signup', {
        username: '"><script>alert(1)</script>',
        email: '"><img src=x onerror=alert(1)>',
        password: TEST_PASSWORD,
      });
      assert.equal(res.status, 400);
      assert.doesNotMatch(res.html, /<script>alert|<img src=x/);
      assert.match(res.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.match(res.html, /value="&quot;&gt;&lt;img src=x onerror=alert\(1\)&gt;"/);
    });

    it('says "Wrong username or password" and keeps the username', async () => {
      await signedUpBrowser(stack.url, 'wrongpw');
      const web = new WebClient(stack.url);
      let res = await web.submit('/login', '/login', { username: 'wrongpw', password: 'not the password' });
      assert.equal(res.status, 401);
      assert.match(alertText(res.html) ?? '', /Wrong username or password/);
      assert.match(res.html, /value="wrongpw"/);
      assert.doesNotMatch(res.html, /not the password/);
      res = await web.submit('/login', '/login', { username: 'nobody-here', password: 'whatever comes next' });
      assert.equal(res.status, 401);
      assert.match(alertText(res.html) ?? '', /Wrong username or password/);
    });

    it('throttles repeated wrong passwords and shows how long to wait, even for the right password', async () => {
      await signedUpBrowser(stack.url, 'throttled');
      const web = new WebClient(stack.url);
      let res: Awaited<ReturnType<WebClient['submit']>> | undefined;
      for (let i = 0; i < 5; i++) res = await web.submit('/login', '/login', { username: 'throttled', password: `wrong-${i}-password` });
      res = await web.submit('/login', '/login', { username: 'throttled', password: TEST_PASSWORD });
      assert.equal(res.status, 429);
      assert.match(alertText(res.html) ?? '', /Too many failed sign-in attempts.*try again in \d+ (second|minute)/);
      assert.ok(!web.cookies.has('mdb_session'));
    });

    it('logs in, sends people back where they were going (same site only), and logging out revokes the session', async () => {
      await signedUpBrowser(stack.url, 'roundtrip');
      const web = new WebClient(stack.url);
      const gate = await web.get('/devices');
      assert.equal(gate.status, 302);
      assert.equal(gate.location, '/login?next=%2Fdevices');
      let res = await web.submit('/login?next=%2Fdevices', '/login', { username: 'roundtrip', password: TEST_PASSWORD, next: '/devices' });
      assert.equal(res.status, 302);
      assert.equal(res.location, '/devices');
      const stolenCookies = web.cookieHeader();
      res = await web.submit('/files', '/logout', {});
      assert.equal(res.status, 302);
      assert.ok(!web.cookies.has('mdb_session'), 'the cookie is cleared');
      // The old cookie, replayed, no longer works: the device token was revoked.
      const replay = await fetch(`${stack.url}/files`, { headers: { cookie: stolenCookies }, redirect: 'manual' });
      assert.equal(replay.status, 302);
      const evil = new WebClient(stack.url);
      res = await evil.submit('/login', '/login', { username: 'roundtrip', password: TEST_PASSWORD, next: '//evil.example/phish' });
      assert.equal(res.location, '/files');
    });

    it('refuses an oversized form with a page, not a crash', async () => {
      const web = new WebClient(stack.url);
      const token = csrfToken((await web.get('/login')).html);
      const res = await web.post('/login', { _csrf: token, username: 'x'.repeat(100_000), password: 'y' });
      assert.equal(res.status, 413);
      assert.match(res.html, /larger than this form accepts/);
    });
  });

  describe('files', () => {
    let web: WebClient;
    let user: StackUser;
    const report = Buffer.from('quarterly numbers\n'.repeat(1000));
    const unicodeName = 'Ünïcødé “naïve” café.txt';

    before(async () => {
      web = await signedUpBrowser(stack.url, 'filer');
      user = await stack.signUpAndSignIn('filer-api');
      // The API user and the browser are different accounts; the browser's own account gets files through its own token.
      const session = await stack.services.accounts.signIn({
        username: 'filer',
        password: TEST_PASSWORD,
        clientAddress: '127.0.0.1',
        deviceKind: 'daemon',
      });
      const access = await stack.services.accessTokens.issue(session.deviceToken);
      const mine = { accessToken: access.accessToken, dataServerUrl: access.dataServer.url };
      await uploadFile(mine, XSS_NAME, Buffer.from('hi'));
      await uploadFile(mine, XSS_FILE, Buffer.from('hi'));
      await uploadFile(mine, 'docs/report 2026.txt', report);
      await uploadFile(mine, `docs/${unicodeName}`, Buffer.from('unicode'));
      await uploadFile(mine, 'docs/deep/nested/leaf.bin', Buffer.alloc(0));
      await uploadFile(user, 'not-yours.txt', Buffer.from('private'));
    });

    it('sends people who are not logged in to the login page', async () => {
      const res = await new WebClient(stack.url).get('/files?dir=docs');
      assert.equal(res.status, 302);
      assert.equal(res.location, '/login?next=%2Ffiles%3Fdir%3Ddocs');
    });

    it('shows an empty state that says what to do next', async () => {
      const fresh = await signedUpBrowser(stack.url, 'emptyhanded');
      const res = await fresh.get('/files');
      assert.equal(res.status, 200);
      assert.match(res.html, /Your MyDropbox is empty/);
      assert.match(res.html, /href="\/client"/);
      assert.match(res.html, /0 bytes used/);
      assert.match(res.html, /of 5 GB/);
    });

    it('lists folders and files with sizes and the quota, and escapes file names', async () => {
      const res = await web.get('/files');
      assert.equal(res.status, 200);
      assert.match(res.html, /href="\/files\?dir=docs"/);
      assert.doesNotMatch(res.html, /<script>alert\(1\)|<img src=x/);
      assert.match(res.html, /<span>&lt;script&gt;alert\(1\)&lt;<\/span><\/a>/);
      assert.match(res.html, /<span>&lt;img src=x onerror=alert\(1\)&gt;\.txt<\/span><\/a>/);
      assert.match(res.html, /18 KB used/);
      const xssDir = await web.get(`/files?dir=${encodeURIComponent('<script>alert(1)<')}`);
      assert.equal(xssDir.status, 200);
      assert.match(xssDir.html, /<span>script&gt;\.txt<\/span><\/a>/);
      assert.doesNotMatch(xssDir.html, /<script>alert/);
      assert.match(res.html, /of 5 GB/);
      assert.match(res.html, /<progress class="quota-bar"/);
      assert.doesNotMatch(res.html, /not-yours/);
      const docs = await web.get('/files?dir=docs');
      assert.match(docs.html, /report 2026\.txt/);
      assert.match(docs.html, /18 KB/);
      assert.match(docs.html, new RegExp(unicodeName.replace(/[.“”]/g, '.')));
      assert.match(docs.html, /href="\/files\?dir=docs%2Fdeep"/);
      assert.match(docs.html, /href="\/files">All files<\/a>/, 'breadcrumbs lead back to the top');
      const deep = await web.get('/files?dir=docs%2Fdeep%2Fnested');
      assert.match(deep.html, /leaf\.bin/);
      assert.match(deep.html, /href="\/files\?dir=docs%2Fdeep">deep<\/a>/);
    });

    it('refuses bad folder paths in ?dir= with a page that says why', async () => {
      for (const dir of ['../etc', 'docs/../../etc', '/etc', 'C:/Windows', 'a\\b', 'docs/\u0000', 'docs/\u001b[31m', '..']) {
        const res = await web.get(`/files?dir=${encodeURIComponent(dir)}`);
        assert.equal(res.status, 400, dir);
        assert.match(res.html, /path|name/i, dir);
      }
      const missing = await web.get('/files?dir=nowhere');
      assert.equal(missing.status, 404);
      assert.match(missing.html, /There is no folder/);
      const twice = await web.get('/files?dir=a&dir=b');
      assert.equal(twice.status, 400);
    });

    it('downloads as an attachment with nosniff and a safe Unicode filename', async () => {
      let res = await web.request(`/files/download?path=${encodeURIComponent('docs/report 2026.txt')}`);
      assert.equal(res.status, 200);
      const body = Buffer.from(await res.arrayBuffer());
      assert.equal(createHash('sha256').update(body).digest('hex'), createHash('sha256').update(report).digest('hex'));
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('content-type'), 'application/octet-stream');
      assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="report 2026\.txt"/);
      assert.equal(res.headers.get('content-length'), String(report.length));

      res = await web.request(`/files/download?path=${encodeURIComponent(`docs/${unicodeName}`)}`);
      assert.equal(res.status, 200);
      const disposition = res.headers.get('content-disposition') ?? '';
      assert.match(disposition, /^attachment; filename="[\x20-\x7e]+"; filename\*=UTF-8''/);
      const encoded = /filename\*=UTF-8''(\S+)$/.exec(disposition);
      assert.equal(decodeURIComponent(encoded?.[1] ?? ''), unicodeName);
      assert.equal(Buffer.from(await res.arrayBuffer()).toString(), 'unicode');

      res = await web.request(`/files/download?path=${encodeURIComponent(XSS_FILE)}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="<img src=x onerror=alert\(1\)>\.txt"/);
      assert.equal(res.headers.get('content-type'), 'application/octet-stream');
      await res.arrayBuffer();
    });

    it('passes byte ranges through', async () => {
      const res = await web.request(`/files/download?path=${encodeURIComponent('docs/report 2026.txt')}`, {
        headers: { range: 'bytes=18-35' },
      });
      assert.equal(res.status, 206);
      assert.equal(res.headers.get('content-range'), `bytes 18-35/${report.length}`);
      assert.equal(Buffer.from(await res.arrayBuffer()).toString(), 'quarterly numbers\n');
    });

    it('refuses bad and foreign paths in ?path=', async () => {
      for (const p of ['../../etc/passwd', '/etc/passwd', 'docs/../../x', 'C:\\boot.ini', '']) {
        const res = await web.request(`/files/download?path=${encodeURIComponent(p)}`);
        assert.equal(res.status, 400, p);
        assert.match(res.headers.get('content-type') ?? '', /text\/html/);
        assert.equal(res.headers.get('content-disposition'), null);
        await res.arrayBuffer();
      }
      const res = await web.request('/files/download?path=not-yours.txt');
      assert.equal(res.status, 404, "another user's file is not found in mine");
      await res.arrayBuffer();
      const anonymous = await new WebClient(stack.url).request('/files/download?path=docs%2Freport%202026.txt');
      assert.equal(anonymous.status, 302);
      await anonymous.arrayBuffer();
    });
  });

  describe('client page', () => {
    it('explains how to build the extension when it is missing, and offers it when it exists', async () => {
      const web = new WebClient(stack.url);
      let res = await web.get('/client');
      assert.equal(res.status, 200);
      assert.match(res.html, /npm run package/);
      assert.match(res.html, /code --install-extension mydropbox.vsix/);
      assert.match(res.html, /Install from VSIX/);
      assert.match(res.html, /npx mydropbox/, 'until the daemon package is built, it runs from the project');
      assert.match(res.html, /mydropbox sync/);
      assert.equal((await web.get('/client/mydropbox.vsix')).status, 404);

      fs.writeFileSync(path.join(vsixDir, 'mydropbox.vsix'), 'PK fake vsix bytes');
      const signedIn = await signedUpBrowser(stack.url, 'vscodefan');
      res = await signedIn.get('/client');
      assert.match(res.html, /href="\/client\/mydropbox.vsix"/);
      const link = /href="(vscode:\/\/mydropbox\.mydropbox\/signin\?[^"]+)"/.exec(res.html);
      assert.ok(link, 'an Open in VS Code link');
      const url = new URL(link![1].replace(/&amp;/g, '&'));
      assert.equal(url.searchParams.get('server'), stack.url);
      const code = url.searchParams.get('code')!;
      const redeemed = await stack.services.loginCodes.redeem(code, 'VS Code', 'vscode');
      assert.equal(redeemed.username, 'vscodefan');
      const vsix = await signedIn.request('/client/mydropbox.vsix');
      assert.equal(vsix.status, 200);
      assert.match(vsix.headers.get('content-disposition') ?? '', /attachment; filename="mydropbox.vsix"/);
      assert.equal(Buffer.from(await vsix.arrayBuffer()).toString(), 'PK fake vsix bytes');
    });
  });

  describe('devices', () => {
    it('lists devices, creates an app password shown once, and revokes devices', async () => {
      const web = await signedUpBrowser(stack.url, 'gadgets');
      await stack.services.accounts.signIn({
        username: 'gadgets',
        password: TEST_PASSWORD,
        clientAddress: '127.0.0.1',
        deviceName: 'Work laptop',
        deviceKind: 'daemon',
      });
      let page = await web.get('/devices');
      assert.equal(page.status, 200);
      assert.match(page.html, /Work laptop/);
      assert.match(page.html, /Sync daemon/);
      assert.match(page.html, /This browser/);
      assert.match(page.html, /<label for="device-name">Name<\/label>/);

      page = await web.submit('/devices', '/devices/app-passwords', { name: '<b>Finder</b>' });
      assert.equal(page.status, 303, 'answered with a redirect (POST/redirect/GET)');
      assert.equal(page.location, '/devices');
      assert.doesNotMatch(web.cookieHeader(), /mdbw_/, 'the password is not readable in a cookie');
      page = await web.get('/devices');
      assert.equal(page.headers.get('cache-control'), 'no-store');
      const pw = /<label for="app-password">App password<\/label>[\s\S]*?value="(mdbw_[^"]+)" readonly/.exec(page.html);
      assert.ok(pw, 'the new app password is shown in a read-only field labelled "App password"');
      assert.match(page.html, /&lt;b&gt;Finder&lt;\/b&gt;/);
      assert.match(page.html, new RegExp(`${stack.url}/dav/`));
      const device = await stack.services.devices.authenticateAppPassword('gadgets', pw![1], '127.0.0.1');
      assert.equal(device.kind, 'webdav');
      page = await web.get('/devices');
      assert.doesNotMatch(page.html, new RegExp(pw![1]), 'shown once only');

      // Revoke the daemon.
      const daemon = (await stack.services.devices.list('gadgets')).find((d) => d.name === 'Work laptop')!;
      const confirm = await web.get(`/devices/${daemon.id}/revoke`);
      assert.equal(confirm.status, 200);
      assert.match(confirm.html, /Revoke “Work laptop”\?/);
      assert.ok(
        (await stack.services.devices.list('gadgets')).some((d) => d.id === daemon.id),
        'asking changes nothing',
      );
      let res = await web.submit(`/devices/${daemon.id}/revoke`, `/devices/${daemon.id}/revoke`, {});
      assert.equal(res.status, 303);
      assert.ok(!(await stack.services.devices.list('gadgets')).some((d) => d.id === daemon.id));

      // Someone else's device is not found, and stays.
      const stranger = await stack.signUpAndSignIn('stranger');
      const strangerDevice = (await stack.services.devices.list(stranger.username))[0];
      res = await web.submit('/devices', `/devices/${strangerDevice.id}/revoke`, {});
      assert.equal(res.status, 404);
      assert.equal((await stack.services.devices.authenticate(stranger.deviceToken)).username, stranger.username);
      res = await web.submit('/devices', '/devices/abc/revoke', {});
      assert.equal(res.status, 404);

      // Revoking this browser logs it out.
      const me = (await stack.services.devices.list('gadgets')).find((d) => d.kind === 'web')!;
      res = await web.submit('/devices', `/devices/${me.id}/revoke`, {});
      assert.equal(res.location, '/login');
      assert.equal((await web.get('/files')).status, 302);
    });
  });

  // Last: it stops the stack's data server.
  describe('when the data server is down', () => {
    it('says so on the files page in words, with a 503', async () => {
      const web = await signedUpBrowser(stack.url, 'stranded');
      await stack.dataServers[0].close();
      const res = await web.get('/files');
      assert.equal(res.status, 503);
      assert.match(res.html, /Your files are out of reach for a moment/);
      assert.match(res.html, /not answering right now/);
      assert.doesNotMatch(res.html, /at .*\.ts:\d+/, 'no stack trace');
    });
  });
});
