// The website in a real browser (Debian's Chromium via playwright-core) against the whole stack.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startStack, uploadFile, type Stack } from '../support/stack';

const PASSWORD = 'a long and happy passphrase';
/** Set to a directory to keep screenshots of each step (for looking at the pages, not for asserting). */
const SCREENSHOT_DIR = process.env.MDB_SCREENSHOT_DIR;

describe('website in a browser', function () {
  this.timeout(90_000);
  let stack: Stack;
  let browser: Browser;
  const cspViolations: string[] = [];

  before(async () => {
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function newPage(
    options: { width: number; height: number } = { width: 1280, height: 860 },
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ acceptDownloads: true, viewport: options });
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) cspViolations.push(msg.text());
    });
    return { context, page };
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (!SCREENSHOT_DIR) return;
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  }

  /** How wide the page really is: more than the viewport means it scrolls sideways. */
  async function pageWidth(page: Page): Promise<number> {
    return Number(await page.evaluate('document.documentElement.scrollWidth'));
  }

  async function logIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${stack.url}/login`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  it('signs up, logs out, refuses a wrong password, logs in, lists and downloads an uploaded file, manages devices', async () => {
    const { context, page } = await newPage();
    await page.goto(stack.url);
    await shot(page, '01-landing');
    await page.getByRole('link', { name: 'Sign up' }).first().click();
    await page.waitForURL(/\/signup$/);
    await shot(page, '02-signup');
    await page.getByLabel('Username').fill('Browser.User');
    await page.getByLabel('Email').fill('browser@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL(/\/files$/);
    await page.getByRole('heading', { name: 'Your MyDropbox is empty' }).waitFor();
    assert.ok(await page.getByRole('link', { name: 'Install the client' }).isVisible());
    await shot(page, '03-empty');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${stack.url}/`);
    assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0);

    await logIn(page, 'browser.user', 'not my password');
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor();
    assert.equal(await page.getByLabel('Username').inputValue(), 'browser.user');
    assert.equal(await page.getByLabel('Password').inputValue(), '');
    await shot(page, '04-login-error');

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/files$/);
    await page.getByRole('heading', { name: 'Your MyDropbox is empty' }).waitFor();

    // A client uploads through the public API: sign in, get an access token, send blocks to the data server.
    const session = (await (
      await fetch(`${stack.apiUrl}/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'browser.user', password: PASSWORD, deviceName: 'E2E daemon', deviceKind: 'daemon' }),
      })
    ).json()) as { deviceToken: string };
    const accessRes = await fetch(`${stack.apiUrl}/access-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.deviceToken}` },
    });
    assert.ok(accessRes.ok, `access token: ${accessRes.status}`);
    const access = (await accessRes.json()) as { accessToken: string; dataServer: { url: string } };
    const client = { accessToken: access.accessToken, dataServerUrl: access.dataServer.url };
    const photo = randomBytes(5 * 1024 * 1024 + 123);
    await uploadFile(client, 'Photos/Holiday 2026/beach.bin', photo);
    await uploadFile(client, 'notes.txt', Buffer.from('remember the sunscreen\n'));

    await page.reload();
    await page.getByRole('link', { name: /^Photos/ }).waitFor();
    assert.ok(await page.getByRole('link', { name: /notes\.txt/ }).isVisible());
    assert.ok(await page.getByText('5.2 MB used').isVisible());
    await shot(page, '05-files');
    await page.getByRole('link', { name: /^Photos/ }).click();
    await page.getByRole('link', { name: /^Holiday 2026/ }).click();
    await page.waitForURL(/dir=Photos%2FHoliday%202026$/);
    assert.ok(await page.getByRole('navigation', { name: 'Folder path' }).getByRole('link', { name: 'Photos' }).isVisible());
    await shot(page, '06-folder');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /beach\.bin/ }).click()]);
    assert.equal(download.suggestedFilename(), 'beach.bin');
    const saved = await download.path();
    assert.ok(saved);
    assert.ok(Buffer.from(fs.readFileSync(saved)).equals(photo), 'the downloaded bytes equal the uploaded ones');

    // Devices: create an app password, then revoke the daemon that uploaded.
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.waitForURL(/\/devices$/);
    assert.ok(await page.getByText('E2E daemon').isVisible());
    await page.getByLabel('Name').fill('Laptop Finder');
    await page.getByRole('button', { name: 'Create app password' }).click();
    const field = page.getByLabel('App password', { exact: true });
    await field.waitFor();
    assert.equal(await field.getAttribute('readonly'), '');
    const appPassword = await field.inputValue();
    assert.match(appPassword, /^mdbw_/);
    assert.equal((await stack.services.devices.authenticateAppPassword('browser.user', appPassword, '127.0.0.1')).kind, 'webdav');
    await shot(page, '07-devices');
    // The form was answered with a redirect: a reload shows the password no more and makes no second one.
    const appPasswords = async () => (await stack.services.devices.list('browser.user')).filter((d) => d.kind === 'webdav').length;
    assert.equal(await appPasswords(), 1);
    await page.reload();
    assert.equal(await page.getByLabel('App password', { exact: true }).count(), 0);
    assert.equal(await appPasswords(), 1);

    // Revoking asks first; Cancel keeps the device.
    await page
      .getByRole('row', { name: /E2E daemon/ })
      .getByRole('link', { name: /Revoke/ })
      .click();
    await page.getByRole('heading', { name: 'Revoke “E2E daemon”?' }).waitFor();
    await shot(page, '07b-revoke-confirm');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(/\/devices$/);
    assert.ok(await page.getByText('E2E daemon').isVisible());
    await page
      .getByRole('row', { name: /E2E daemon/ })
      .getByRole('link', { name: /Revoke/ })
      .click();
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.waitForURL(/\/devices$/);
    assert.equal(await page.getByText('E2E daemon').count(), 0);
    const refused = await fetch(`${stack.apiUrl}/access-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.deviceToken}` },
    });
    assert.equal(refused.status, 401, 'the revoked device token stops working at once');
    await refused.arrayBuffer();

    await page.goto(`${stack.url}/client`);
    const open = page.getByRole('link', { name: 'Open in VS Code' });
    assert.match((await open.getAttribute('href')) ?? '', /^vscode:\/\/mydropbox\.mydropbox\/signin\?server=.+&code=mdbc_/);
    await shot(page, '08-client');
    const missing = await page.goto(`${stack.url}/no/such/page`);
    assert.equal(missing?.status(), 404);
    await page.getByRole('heading', { name: 'We could not find that page' }).waitFor();
    await shot(page, '09-not-found');
    await page.goto(`${stack.url}/files?dir=..%2Fetc`);
    await page.getByRole('alert').filter({ hasText: '".."' }).waitFor();
    await shot(page, '10-bad-folder');
    await context.close();
    assert.deepEqual(cspViolations, [], 'no page breaks its own Content-Security-Policy');
  });

  it('fits a 390 px wide phone screen', async () => {
    const { context, page } = await newPage({ width: 390, height: 844 });
    for (const p of ['/', '/signup']) {
      await page.goto(`${stack.url}${p}`);
      const width = await pageWidth(page);
      assert.ok(width <= 390, `${p} is ${width} px wide`);
      await shot(page, `phone${p === '/' ? '-landing' : p.replace('/', '-')}`);
    }
    await logIn(page, 'browser.user', PASSWORD);
    await page.waitForURL(/\/files$/);
    for (const p of ['/files', '/files?dir=Photos%2FHoliday%202026', '/devices', '/client']) {
      await page.goto(`${stack.url}${p}`);
      const width = await pageWidth(page);
      assert.ok(width <= 390, `${p} is ${width} px wide`);
      await shot(page, `phone${p.replace(/[/?=%]+/g, '-')}`);
    }
    await page.goto(`${stack.url}/files`);
    assert.ok(await page.getByText('5.2 MB used').isVisible(), 'the quota shows on a phone');
    assert.ok(await page.getByText('notes.txt').isVisible());
    await context.close();
    assert.deepEqual(cspViolations, []);
  });
});
