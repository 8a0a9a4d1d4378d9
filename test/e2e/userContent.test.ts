// Every door that returns a person's file bytes answers so a browser never runs them on our origin (issue 13.1).
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startStack, uploadFile, type Stack } from '../support/stack';
import { davRequest, davUser, type DavUser } from './davSupport';
import { WebClient } from '../../server/web/test/webClient';

// Reads /devices with the visitor's cookie and creates an app password: what the review's page did.
const EVIL_HTML = `<!doctype html><title>innocent</title><script>
fetch('/devices').then((r) => r.text()).then((t) => { document.title = 'stolen:' + t.length; });
</script>`;
const EVIL_SVG = `<svg xmlns="http://www.w3.org/2000/svg"><script>document.title = 'stolen'</script></svg>`;

function assertNeverRendered(headers: Record<string, string | string[] | undefined> | Headers, where: string): void {
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : (headers[name] as string | undefined)) ?? '';
  assert.equal(get('x-content-type-options'), 'nosniff', `${where}: nosniff`);
  const disposition = get('content-disposition');
  const csp = get('content-security-policy');
  assert.ok(
    /^attachment/.test(disposition) || /(^|;)\s*sandbox(;|$)/.test(csp),
    `${where}: attachment or sandbox (${disposition} / ${csp})`,
  );
  assert.match(csp, /(^|;)\s*sandbox(;|$)/, `${where}: sandboxed even if a browser ignores the disposition`);
  assert.doesNotMatch(get('content-type'), /html|svg|xml|javascript/, `${where}: never labelled as something a browser runs`);
}

describe('user content is never run on the site (13.1)', function () {
  this.timeout(90_000);
  let stack: Stack;
  let alice: DavUser;
  let browser: Browser;

  before(async () => {
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
    alice = await davUser(stack);
    await uploadFile(alice, 'evil.html', Buffer.from(EVIL_HTML));
    await uploadFile(alice, 'evil.svg', Buffer.from(EVIL_SVG));
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  for (const name of ['evil.html', 'evil.svg']) {
    it(`WebDAV GET and HEAD of ${name} answer as an attachment under a sandbox, never sniffed`, async () => {
      for (const method of ['GET', 'HEAD']) {
        const res = await davRequest(stack.url, method, `/dav/${name}`, { auth: alice.authorization });
        assert.equal(res.status, 200);
        assertNeverRendered(res.headers, `WebDAV ${method} ${name}`);
      }
    });

    it(`the API download and the website download of ${name} do the same`, async () => {
      const api = await fetch(`${stack.apiUrl}/files/content?path=${name}`, { headers: { authorization: `Bearer ${alice.deviceToken}` } });
      assert.equal(api.status, 200);
      assertNeverRendered(api.headers, `API ${name}`);
      await api.arrayBuffer();

      const web = new WebClient(stack.url);
      await web.submit('/login', '/login', { username: alice.username, password: alice.password });
      const res = await web.request(`/files/download?path=${name}`);
      assert.equal(res.status, 200);
      assertNeverRendered(res.headers, `website ${name}`);
      await res.arrayBuffer();
    });
  }

  it('WebDAV answers that echo names (folder pages, errors, XML) are sandboxed and never sniffed', async () => {
    const folder = await davRequest(stack.url, 'GET', '/dav/', { auth: alice.authorization });
    assert.match(String(folder.headers['content-type']), /text\/html/);
    assert.match(String(folder.headers['content-security-policy']), /sandbox/);
    assert.equal(folder.headers['x-content-type-options'], 'nosniff');
    const missing = await davRequest(stack.url, 'GET', '/dav/%3Cscript%3E.html', { auth: alice.authorization });
    assert.equal(missing.status, 404);
    assert.match(String(missing.headers['content-security-policy']), /sandbox/);
    assert.equal(missing.headers['x-content-type-options'], 'nosniff');
    const api = await fetch(`${stack.apiUrl}/%3Cscript%3E`);
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-security-policy') ?? '', /sandbox/);
    assert.equal(api.headers.get('x-content-type-options'), 'nosniff');
  });

  it('in Chromium, an uploaded page opened over WebDAV with the owner signed in never runs', async () => {
    const context = await browser.newContext({ httpCredentials: { username: alice.username, password: alice.appPassword } });
    try {
      const page = await context.newPage();
      await page.goto(`${stack.url}/login`);
      await page.getByLabel('Username').fill(alice.username);
      await page.getByLabel('Password').fill(alice.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(/\/files/);
      const before = (await stack.services.devices.list(alice.username)).length;

      // An attachment is a download, not a page: the navigation ends in a download event.
      const download = page.waitForEvent('download');
      await page.goto(`${stack.url}/dav/evil.html`).catch(() => undefined);
      assert.equal((await download).suggestedFilename(), 'evil.html');
      assert.doesNotMatch(await page.title(), /stolen/);
      assert.equal((await stack.services.devices.list(alice.username)).length, before, 'no app password was made');
    } finally {
      await context.close();
    }
  });
});
