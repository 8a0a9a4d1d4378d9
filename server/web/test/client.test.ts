// The client page over real HTTP: both packages served as downloads when built, install lines with the site's address, and what it says when they are missing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startStack, type Stack } from '../../../test/support/stack';
import { WebClient, signedUpBrowser } from './webClient';

/** The page's text as a person reads it: tags dropped, entities decoded, spaces collapsed. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe('website: client downloads', function () {
  this.timeout(60_000);
  let stack: Stack;
  let dir: string;
  let vsixPath: string;
  let daemonPath: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-client-page-'));
    vsixPath = path.join(dir, 'mydropbox.vsix');
    daemonPath = path.join(dir, 'mydropbox-daemon.tgz');
    stack = await startStack({ databaseKind: 'sqlite', vsixPath, daemonPath });
  });
  after(async () => {
    await stack?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    fs.rmSync(vsixPath, { recursive: true, force: true });
    fs.rmSync(daemonPath, { recursive: true, force: true });
  });

  it('says how to build the packages when they are missing, and refuses their downloads with the same advice', async () => {
    const web = new WebClient(stack.url);
    const page = await web.get('/client');
    assert.equal(page.status, 200);
    const text = textOf(page.html);
    assert.match(text, /The extension has not been built on this server yet\. In the MyDropbox project folder run npm run package/);
    assert.match(text, /The daemon package has not been built on this server yet\. In the MyDropbox project folder run npm run package/);
    assert.match(text, /npx mydropbox runs it from inside the project folder/);
    assert.doesNotMatch(page.html, /href="\/client\/mydropbox\.vsix"/);
    assert.doesNotMatch(page.html, /mydropbox-daemon\.tgz/);
    assert.doesNotMatch(text, /npm install -g/);
    // The steps that do not need the packages stay.
    assert.match(text, /code --install-extension mydropbox\.vsix/);
    assert.match(text, new RegExp(`mydropbox login --server ${stack.url} --username <your username>`));
    assert.match(page.html, /--username &lt;your username&gt;/, 'the placeholder is escaped');

    for (const [url, what] of [
      ['/client/mydropbox.vsix', 'The VS Code extension'],
      ['/client/mydropbox-daemon.tgz', 'The mydropbox daemon package'],
    ]) {
      const res = await web.get(url);
      assert.equal(res.status, 404, url);
      assert.match(textOf(res.html), new RegExp(`${what} has not been built on this server yet\\. Run "npm run package"`), url);
      assert.doesNotMatch(res.headers.get('content-disposition') ?? '', /attachment/, url);
    }
  });

  it('serves both packages streamed as attachments, byte for byte, with their length and no sniffing', async () => {
    const vsixBytes = randomBytes(70_001);
    const daemonBytes = randomBytes(21_345);
    fs.writeFileSync(vsixPath, vsixBytes);
    fs.writeFileSync(daemonPath, daemonBytes);
    const web = new WebClient(stack.url);
    for (const [url, bytes, filename, type] of [
      ['/client/mydropbox.vsix', vsixBytes, 'mydropbox.vsix', 'application/octet-stream'],
      ['/client/mydropbox-daemon.tgz', daemonBytes, 'mydropbox-daemon.tgz', 'application/gzip'],
    ] as const) {
      const res = await web.request(url);
      assert.equal(res.status, 200, url);
      assert.equal(res.headers.get('content-disposition'), `attachment; filename="${filename}"`);
      assert.equal(res.headers.get('content-type'), type);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('content-length'), String(bytes.length));
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.ok(res.headers.get('last-modified'), 'a Last-Modified for caches');
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes), `${url} arrives byte for byte`);

      const head = await web.request(url, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(bytes.length));
      assert.equal((await head.arrayBuffer()).byteLength, 0);
    }
  });

  it('shows the install, login and sync lines with the site address, the .vsix size and Open in VS Code', async () => {
    fs.writeFileSync(vsixPath, randomBytes(35_300));
    fs.writeFileSync(daemonPath, randomBytes(999));
    const web = await signedUpBrowser(stack.url, 'installer');
    const page = await web.get('/client');
    const text = textOf(page.html);
    assert.match(text, new RegExp(`npm install -g ${stack.url}/client/mydropbox-daemon\\.tgz`));
    assert.match(text, new RegExp(`mydropbox login --server ${stack.url} --username installer`));
    assert.match(text, /mydropbox sync/);
    assert.match(text, /mydropbox --help/);
    assert.match(page.html, /<a class="button" href="\/client\/mydropbox\.vsix" download>/);
    assert.match(text, /Download mydropbox\.vsix 35\.3 KB/);
    assert.match(text, /mydropbox-daemon\.tgz \(999 bytes\)/);
    assert.doesNotMatch(text, /has not been built/);
    const link = /href="(vscode:\/\/mydropbox\.mydropbox\/signin\?[^"]+)"/.exec(page.html);
    assert.ok(link, 'an Open in VS Code link');
    assert.equal(new URL(link[1].replace(/&amp;/g, '&')).searchParams.get('server'), stack.url);

    // A rebuild shows at once: the page reads the files at each request.
    fs.writeFileSync(vsixPath, randomBytes(1_200_000));
    assert.match(textOf((await web.get('/client')).html), /Download mydropbox\.vsix 1\.2 MB/);
  });

  it('treats a folder in place of a package as missing, and serves nothing but the two files', async () => {
    fs.mkdirSync(vsixPath);
    fs.mkdirSync(daemonPath);
    const web = new WebClient(stack.url);
    assert.match(textOf((await web.get('/client')).html), /The extension has not been built/);
    assert.equal((await web.get('/client/mydropbox.vsix')).status, 404);
    assert.equal((await web.get('/client/mydropbox-daemon.tgz')).status, 404);
    fs.rmSync(vsixPath, { recursive: true });
    fs.writeFileSync(vsixPath, 'PK');
    for (const probe of [
      '/client/..%2F..%2Fpackage.json',
      '/client/%2e%2e/%2e%2e/package.json',
      '/client/mydropbox.vsix%00.txt',
      '/client/mydropbox.vsix/x',
      '/client/MYDROPBOX.VSIX.bak',
    ]) {
      const res = await web.get(probe);
      assert.equal(res.status, 404, probe);
      assert.doesNotMatch(res.headers.get('content-disposition') ?? '', /attachment/, probe);
    }
    const post = await web.request('/client/mydropbox.vsix', { method: 'POST' });
    assert.notEqual(post.status, 200, 'a download takes GET only');
    await post.arrayBuffer();
  });
});
