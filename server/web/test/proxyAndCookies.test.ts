// Deployment settings: Secure cookies behind TLS, and a client-written X-Forwarded-For never dodging the login throttle.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DEFAULT_THROTTLE_POLICY } from '@mydropbox/router';
import { listen, silentLogger, type Listening } from '@mydropbox/server-common';
import { createApp } from '../src/app';
import { startStack, TEST_PASSWORD, type Stack } from '../../../test/support/stack';
import { WebClient, alertText } from './webClient';

describe('website deployment settings', function () {
  this.timeout(60_000);
  let stack: Stack;
  const servers: Listening[] = [];

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    for (const s of servers) await s.close();
    await stack?.close();
  });

  async function site(opts: { secureCookies?: boolean; trustProxy?: boolean; publicUrl?: string }): Promise<string> {
    const app = createApp({ services: stack.services, log: silentLogger(), cookieKeys: [randomBytes(24).toString('hex')], ...opts });
    const listening = await listen(app.callback());
    servers.push(listening);
    return listening.url;
  }

  it('marks cookies Secure when the site is served over HTTPS by a proxy', async () => {
    const web = new WebClient(await site({ secureCookies: true, publicUrl: 'https://files.example.com' }));
    const page = await web.get('/login');
    const cookies = page.headers.getSetCookie();
    assert.ok(cookies.length > 0);
    for (const c of cookies) assert.match(c, /;\s*secure/i, c);
    const discovery = (await (await fetch(`${web.baseUrl}/.well-known/mydropbox.json`)).json()) as { apiUrl: string; davUrl: string };
    assert.equal(discovery.apiUrl, 'https://files.example.com/api/v1');
    assert.equal(discovery.davUrl, 'https://files.example.com/dav/');
  });

  it('refuses a cookie key that is too short', () => {
    assert.throws(() => createApp({ services: stack.services, log: silentLogger(), cookieKeys: ['short'] }), /SESSION_SECRET/);
    assert.throws(() => createApp({ services: stack.services, log: silentLogger(), cookieKeys: [] }), /SESSION_SECRET/);
  });

  it('throttles by the real client address whatever X-Forwarded-For says (no trusted proxy)', async () => {
    const url = await site({});
    await stack.signUpAndSignIn('spoofvictim');
    const limit = DEFAULT_THROTTLE_POLICY.address.limit;
    // Different accounts each time, so only the address counter can trip; each request claims another address.
    for (let i = 0; i < limit; i++) {
      const web = new WebClient(url);
      const form = await web.get('/login');
      const token = /name="_csrf" value="([^"]+)"/.exec(form.html)![1];
      const res = await web.request('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `10.0.${i}.1` },
        body: new URLSearchParams({ _csrf: token, username: `nobody${i}`, password: 'wrong password' }).toString(),
      });
      assert.equal(res.status, 401, `attempt ${i}`);
      await res.arrayBuffer();
    }
    const web = new WebClient(url);
    const form = await web.get('/login');
    const token = /name="_csrf" value="([^"]+)"/.exec(form.html)![1];
    const res = await web.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '10.9.9.9' },
      body: new URLSearchParams({ _csrf: token, username: 'spoofvictim', password: TEST_PASSWORD }).toString(),
    });
    assert.equal(res.status, 429);
    assert.match(alertText(await res.text()) ?? '', /Too many failed sign-in attempts from your network address/);
  });
});
