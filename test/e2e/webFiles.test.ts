// The files page as a file manager, in Chromium against the whole stack, with a running daemon whose folder must follow.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import yauzl from 'yauzl';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startStack, TEST_PASSWORD, type Stack, type StackUser } from '../support/stack';
import { runCliProcess, startCli } from '../../extension/test/cli/run';
import { eventually } from '../../extension/test/sync/client';

/** Set to a directory to keep screenshots of each step (docs/website.md uses them). */
const SCREENSHOT_DIR = process.env.MDB_SCREENSHOT_DIR;
const AXE_PATH = require.resolve('axe-core/axe.min.js');
// The daemon's folder must show a website change this soon (the issue asks for "within a second"; a loaded CI machine gets slack).
const FOLLOW_MS = 15_000;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

function zipEntries(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const out = new Map<string, Buffer>();
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) {
          out.set(entry.fileName, Buffer.alloc(0));
          return zip.readEntry();
        }
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

describe('website files page in a browser, with a daemon following', function () {
  this.timeout(180_000);
  let stack: Stack;
  let browser: Browser;
  let user: StackUser;
  let home: string;
  let folder: string;
  let daemon: ReturnType<typeof startCli> | undefined;
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  before(async () => {
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
    user = await stack.signUpAndSignIn();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-webfiles-'));
    folder = path.join(home, 'myDropbox');
    const env = { MYDROPBOX_CONFIG_DIR: path.join(home, 'config'), HOME: home, MYDROPBOX_PASSWORD: TEST_PASSWORD };
    const login = await runCliProcess(['login', '--server', stack.url, '--username', user.username], env);
    assert.equal(login.code, 0, login.stderr);
    daemon = startCli(['sync'], env);
    fs.mkdirSync(path.join(home, 'src'));
  });
  after(async () => {
    daemon?.child.kill('SIGTERM');
    await daemon?.done;
    await browser?.close();
    await stack?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  async function newPage(opts: { width?: number; height?: number; dark?: boolean; bypassCSP?: boolean } = {}) {
    const context: BrowserContext = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: opts.width ?? 1280, height: opts.height ?? 860 },
      colorScheme: opts.dark ? 'dark' : 'light',
      bypassCSP: opts.bypassCSP ?? false,
    });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) cspViolations.push(msg.text());
    });
    return { context, page };
  }

  async function logIn(page: Page): Promise<void> {
    await page.goto(`${stack.url}/login`);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/files$/);
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (!SCREENSHOT_DIR) return;
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  }

  function local(p: string): string {
    return path.join(folder, p);
  }

  function writeSource(name: string, data: Buffer | string): string {
    const p = path.join(home, 'src', name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
    return p;
  }

  async function upload(page: Page, files: string[]): Promise<void> {
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Upload', exact: true }).click(),
    ]);
    await chooser.setFiles(files);
  }

  async function rowAction(page: Page, name: string, action: string): Promise<void> {
    await page.getByRole('button', { name: `Actions for ${name}` }).click();
    await page.getByRole('button', { name: action, exact: true }).click();
  }

  const notes = '# Notes\n\nRemember **the sunscreen**.\n';
  const big = randomBytes(9 * 1024 * 1024 + 17);

  it('uploads (skipping blocks the account holds), makes, renames, moves and deletes, and the daemon follows each', async () => {
    const { context, page } = await newPage();
    await logIn(page);
    await upload(page, [writeSource('notes.md', notes), writeSource('big.bin', big), writeSource('photo.png', randomBytes(300))]);
    await page.getByText('3 files uploaded.').waitFor();
    await shot(page, 'files-uploaded');
    await eventually(() => {
      assert.equal(fs.readFileSync(local('notes.md'), 'utf8'), notes);
      assert.ok(fs.readFileSync(local('big.bin')).equals(big));
      assert.ok(fs.existsSync(local('photo.png')));
    }, FOLLOW_MS);

    // The same bytes under another name send no block at all.
    const blockPuts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PUT' && r.url().includes('/files/upload/sessions/')) blockPuts.push(r.url());
    });
    await upload(page, [writeSource('copy of big.bin', big)]);
    await page.getByText('Uploaded (3 blocks were already in your MyDropbox)').waitFor();
    assert.deepEqual(blockPuts, []);

    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('Folder name').fill('Projects');
    await shot(page, 'files-new-folder');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('status').filter({ hasText: 'Created the folder “Projects”.' }).waitFor();

    await rowAction(page, 'notes.md', 'Rename');
    assert.equal(await page.getByLabel('New name').inputValue(), 'notes.md');
    await page.getByLabel('New name').fill('readme.md');
    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Renamed “notes.md” to “readme.md”.' }).waitFor();
    await eventually(() => {
      assert.equal(fs.readFileSync(local('readme.md'), 'utf8'), notes);
      assert.equal(fs.existsSync(local('notes.md')), false);
    }, FOLLOW_MS);

    await rowAction(page, 'readme.md', 'Move');
    await page.getByLabel('Destination folder').selectOption('Projects');
    await shot(page, 'files-move');
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Moved 1 item to “Projects”.' }).waitFor();
    await eventually(() => {
      assert.equal(fs.readFileSync(local('Projects/readme.md'), 'utf8'), notes);
      assert.equal(fs.existsSync(local('readme.md')), false);
    }, FOLLOW_MS);

    await rowAction(page, 'photo.png', 'Delete');
    const confirm = page.getByRole('dialog', { name: 'Delete “photo.png”?' });
    await confirm.waitFor();
    await shot(page, 'files-delete');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    assert.ok(await page.getByRole('link', { name: 'photo.png', exact: true }).isVisible(), 'Cancel keeps the file');
    await rowAction(page, 'photo.png', 'Delete');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted “photo.png”.' }).waitFor();
    await eventually(() => assert.equal(fs.existsSync(local('photo.png')), false), FOLLOW_MS);
    assert.equal(await page.getByRole('link', { name: 'photo.png', exact: true }).count(), 0);
    // "Deleted files" brings it back byte for byte, and the daemon follows.
    const photo = fs.readFileSync(path.join(home, 'src', 'photo.png'));
    await page.getByRole('link', { name: 'Deleted files' }).click();
    await page.getByRole('button', { name: 'Restore photo.png' }).click();
    await page.getByRole('status').filter({ hasText: 'Restored “photo.png”.' }).waitFor();
    await eventually(() => assert.ok(fs.readFileSync(local('photo.png')).equals(photo)), FOLLOW_MS);
    await page.getByRole('link', { name: 'Back to files' }).click();
    await page.getByRole('link', { name: 'photo.png', exact: true }).waitFor();

    // Several rows at once: a move, then a zip of a selection.
    await page.getByRole('checkbox', { name: 'Select big.bin' }).check();
    await page.getByRole('checkbox', { name: 'Select copy of big.bin' }).check();
    await page.getByText('2 items selected').waitFor();
    await shot(page, 'files-selection');
    const [zip] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download selected' }).click()]);
    assert.equal(zip.suggestedFilename(), 'MyDropbox (2 items).zip');
    const entries = await zipEntries((await zip.path())!);
    assert.deepEqual([...entries.keys()].sort(), ['big.bin', 'copy of big.bin']);
    assert.ok(entries.get('big.bin')!.equals(big));
    await page.getByRole('button', { name: 'Move selected' }).click();
    await page.getByLabel('Destination folder').selectOption('Projects');
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Moved 2 items to “Projects”.' }).waitFor();
    await eventually(() => {
      assert.ok(fs.readFileSync(local('Projects/copy of big.bin')).equals(big));
      assert.equal(fs.existsSync(local('big.bin')), false);
    }, FOLLOW_MS);
    await context.close();
  });

  it('resumes a big upload after a dropped connection and a page reload, sending only the blocks still missing', async () => {
    const { context, page } = await newPage();
    await logIn(page);
    const bigger = randomBytes(6 * 4 * 1024 * 1024 + 5);
    const source = writeSource('video.bin', bigger);
    let passed = 0;
    await page.route('**/files/upload/sessions/**', (route) => {
      // Two blocks get through, then the network is gone.
      if (passed++ < 2) return route.continue();
      return route.abort('connectionfailed');
    });
    await upload(page, [source]);
    await page.getByText(/The connection was lost\. Trying again in/).waitFor();
    await shot(page, 'files-upload-retrying');
    await page.reload();
    await page.unroute('**/files/upload/sessions/**');
    const resume = page.getByRole('button', { name: 'Resume video.bin' });
    await resume.waitFor();
    await shot(page, 'files-upload-unfinished');
    const puts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PUT' && r.url().includes('/files/upload/sessions/')) puts.push(r.url());
    });
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), resume.click()]);
    await chooser.setFiles(source);
    await page.getByText('1 file uploaded.').waitFor();
    assert.equal(puts.length, 7 - 2, `only the 5 blocks the server lacked were sent again (${puts.length})`);
    await eventually(() => assert.ok(fs.readFileSync(local('video.bin')).equals(bigger)), FOLLOW_MS);
    assert.equal(await page.evaluate("localStorage.getItem('mydropbox.uploads')"), '{}');
    await context.close();
  });

  it('refuses names and quota in words before sending bytes', async () => {
    const { context, page } = await newPage();
    await logIn(page);
    await page.route('**/files/upload/check', async (route) => {
      // A 6 GB file cannot be made here; the check only reads sizes, so the request says what the browser would.
      const body = route.request().postDataJSON() as { dir: string; files: { path: string; size: number }[] };
      body.files[0]!.size = 6_000_000_000;
      await route.continue({ postData: JSON.stringify(body) });
    });
    await upload(page, [writeSource('huge.iso', 'pretend this is big')]);
    await page.getByRole('alert').filter({ hasText: '“huge.iso” (6 GB) does not fit' }).waitFor();
    await page.unroute('**/files/upload/check');
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('Folder name').fill('..');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('alert').filter({ hasText: '".."' }).waitFor();
    await shot(page, 'files-errors');
    await context.close();
  });

  it('searches all folders, sorts by the header buttons and previews text with colour', async () => {
    const { context, page } = await newPage();
    await logIn(page);
    await page.getByLabel('Search').fill('README');
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.getByRole('row', { name: /readme\.md/ });
    await row.waitFor();
    assert.ok(await row.getByRole('link', { name: 'Projects' }).isVisible(), 'a result names its folder');
    await shot(page, 'files-search');

    await page.goto(`${stack.url}/files?dir=Projects`);
    const sizeHeader = page.getByRole('columnheader', { name: 'Size' });
    assert.equal(await sizeHeader.getAttribute('aria-sort'), 'none');
    await sizeHeader.getByRole('button').click();
    await page.waitForURL(/sort=size-asc/);
    assert.equal(await page.getByRole('columnheader', { name: 'Size' }).getAttribute('aria-sort'), 'ascending');
    const names = await page.locator('tbody a.file-name').allTextContents();
    assert.deepEqual(names, ['readme.md', 'big.bin', 'copy of big.bin']);

    await page.getByRole('link', { name: 'readme.md', exact: true }).click();
    await page.getByRole('heading', { name: 'readme.md' }).waitFor();
    await page.locator('#text-preview .hljs-strong, #text-preview .hljs-section').first().waitFor();
    assert.match((await page.locator('#text-preview').textContent()) ?? '', /Remember \*\*the sunscreen\*\*/);
    await shot(page, 'files-preview');
    const raw = await page.request.get(`${stack.url}/files/raw?path=Projects%2Freadme.md`);
    assert.equal(raw.headers()['x-content-type-options'], 'nosniff');
    assert.match(raw.headers()['content-security-policy'] ?? '', /^sandbox/);
    await context.close();
  });

  it('shares a folder with a password: works logged out, lists and zips, stops at once when revoked', async () => {
    const { context, page } = await newPage();
    await logIn(page);
    await rowAction(page, 'Projects', 'Share');
    await page.getByLabel('Expires').selectOption('7');
    await page.getByLabel('Password (optional)').fill('open sesame');
    await shot(page, 'share-dialog');
    await page.getByRole('button', { name: 'Create link' }).click();
    const link = await page.getByLabel('Share link').inputValue();
    assert.match(link, /\/s\/mdbs_[A-Za-z0-9_-]{43}$/, 'at least 128 random bits');
    await shot(page, 'shared-links');

    const stranger = await newPage();
    const locked = await stranger.page.goto(link);
    assert.equal(locked?.status(), 401);
    assert.equal(locked?.headers()['x-robots-tag'], 'noindex, nofollow');
    assert.equal(locked?.headers()['referrer-policy'], 'no-referrer');
    await stranger.page.getByLabel('Password').fill('wrong');
    await stranger.page.getByRole('button', { name: 'Open' }).click();
    await stranger.page.getByRole('alert').filter({ hasText: 'not the password' }).waitFor();
    await stranger.page.getByLabel('Password').fill('open sesame');
    await stranger.page.getByRole('button', { name: 'Open' }).click();
    await stranger.page.getByRole('link', { name: 'readme.md' }).waitFor();
    assert.equal(await stranger.page.getByRole('link', { name: 'Log out' }).count(), 0);
    await shot(stranger.page, 'share-open');
    const [file] = await Promise.all([
      stranger.page.waitForEvent('download'),
      stranger.page.getByRole('link', { name: 'readme.md' }).click(),
    ]);
    assert.equal(fs.readFileSync((await file.path())!, 'utf8'), notes);
    const [zip] = await Promise.all([
      stranger.page.waitForEvent('download'),
      stranger.page.getByRole('link', { name: 'Download all as zip' }).click(),
    ]);
    assert.equal(zip.suggestedFilename(), 'Projects.zip');
    assert.deepEqual([...(await zipEntries((await zip.path())!)).keys()].sort(), [
      'Projects/big.bin',
      'Projects/copy of big.bin',
      'Projects/readme.md',
    ]);

    await page.goto(`${stack.url}/shared-links`);
    const row = page.getByRole('row', { name: /Projects/ });
    assert.match((await row.textContent()) ?? '', /2\s*$|\b2\b/, 'two downloads counted');
    await row.getByRole('button', { name: 'Revoke the link to Projects' }).click();
    await page.getByRole('status').filter({ hasText: 'revoked' }).waitFor();
    const gone = await stranger.page.goto(link);
    assert.equal(gone?.status(), 404);
    const goneFile = await stranger.page.request.get(`${link}/download?path=readme.md`);
    assert.equal(goneFile.status(), 404);
    await stranger.context.close();
    await context.close();
  });

  it('works by keyboard, on a phone and in dark mode, and passes axe-core with no serious or critical violation', async () => {
    const { context, page } = await newPage();
    await logIn(page);
    await page.goto(`${stack.url}/files?dir=Projects`);
    // The link's accessible name is the name alone.
    assert.equal(await page.getByRole('link', { name: 'readme.md', exact: true }).count(), 1);
    const actions = page.getByRole('button', { name: 'Actions for readme.md' });
    await actions.focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Version history');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Rename');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate('document.activeElement.name'), 'name');
    await page.keyboard.press('Escape');
    assert.equal(await page.getByRole('dialog').count(), 0);
    // The dialog's close event (a task queued after it closes) hands the focus back to the menu's button.
    await page
      .waitForFunction("document.activeElement.getAttribute('aria-label') === 'Actions for readme.md'", undefined, { timeout: 5000 })
      .catch(() => undefined);
    assert.equal(await page.evaluate("document.activeElement.getAttribute('aria-label')"), 'Actions for readme.md');
    await context.close();

    const phone = await newPage({ width: 390, height: 844 });
    await logIn(phone.page);
    await phone.page.goto(`${stack.url}/files?dir=Projects`);
    assert.ok(Number(await phone.page.evaluate('document.documentElement.scrollWidth')) <= 390, 'no sideways scrolling');
    for (const name of ['Upload', 'Upload folder', 'New folder', 'Actions for readme.md', 'Sort']) {
      assert.ok(await phone.page.getByRole('button', { name, exact: true }).isVisible(), `${name} on a phone`);
    }
    await phone.page.getByRole('button', { name: 'Actions for readme.md' }).click();
    await shot(phone.page, 'phone-files-menu');
    await phone.context.close();

    for (const dark of [false, true]) {
      const a = await newPage({ dark, bypassCSP: true });
      await logIn(a.page);
      const pages = dark
        ? ['/files?dir=Projects', '/files/preview?path=Projects%2Freadme.md']
        : ['/files?dir=Projects', '/files?q=big', '/files/preview?path=Projects%2Freadme.md', '/shared-links'];
      for (const url of pages) {
        await a.page.goto(`${stack.url}${url}`);
        if (url.includes('preview')) await a.page.locator('#text-preview .hljs-section').first().waitFor();
        if (url === '/files?dir=Projects') {
          await a.page.getByRole('button', { name: 'Actions for readme.md' }).click();
          if (dark) await shot(a.page, 'files-dark');
        }
        await a.page.addScriptTag({ path: AXE_PATH });
        const violations = (await a.page.evaluate('axe.run().then((r) => r.violations)')) as AxeViolation[];
        const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        assert.deepEqual(
          bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
          [],
          `${url}${dark ? ' (dark)' : ''}`,
        );
      }
      await a.context.close();
    }
    assert.deepEqual(pageErrors, [], 'no script error on any page');
    assert.deepEqual(cspViolations, [], 'no page breaks its own Content-Security-Policy');
  });
});
