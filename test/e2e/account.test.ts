// The account page in Chromium: change the password from the page a person finds through the menu.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startStack, TEST_PASSWORD, type Stack } from '../support/stack';

const SCREENSHOT_DIR = process.env.MDB_SCREENSHOT_DIR;
const NEW_PASSWORD = 'tangerine lighthouse over quiet hills';

describe('account page in a browser', function () {
  this.timeout(90_000);
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function shot(page: Page, name: string): Promise<void> {
    if (!SCREENSHOT_DIR) return;
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  }

  it('changes the password from the account page, says what it signed out, and the old password stops working', async () => {
    const user = await stack.signUpAndSignIn();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stack.url}/login`);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/files/);

    await page.getByRole('link', { name: user.username }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await shot(page, 'account-1-page');
    await page.getByLabel('Current password').fill(TEST_PASSWORD);
    await page.getByLabel('New password').fill('12345678');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'one of the most commonly used passwords' }).waitFor();
    await shot(page, 'account-2-weak');

    await page.getByLabel('Current password').fill(TEST_PASSWORD);
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Your password was changed. 1 other browser, device or app password was signed out.' })
      .waitFor();
    await shot(page, 'account-3-changed');
    await page.reload();
    assert.equal(await page.getByRole('status').count(), 0, 'a reload repeats nothing');
    await assert.rejects(
      stack.services.accounts.signIn({
        username: user.username,
        password: TEST_PASSWORD,
        clientAddress: '127.0.0.1',
        deviceKind: 'daemon',
      }),
    );
    assert.equal(
      await stack.services.devices.authenticate(user.deviceToken).catch(() => undefined),
      undefined,
      'the daemon was signed out',
    );
    await context.close();
  });
});
