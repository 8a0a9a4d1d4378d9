// Copy Share Link against the real router, website and data server, and the router's client API for share links with bad input.
import assert from 'node:assert/strict';
import path from 'node:path';
import type { CreateShareLinkResponse, ShareLinksResponse } from '@mydropbox/shared';
import { COMMANDS } from '../../src/commands';
import { CONTEXT_KEYS } from '../../src/contextKeys';
import { startStack, type Stack } from '../../../test/support/stack';
import { startGlue, type Glue } from './glue';

describe('share links from VS Code', function () {
  this.timeout(60_000);
  let stack: Stack;
  let glue: Glue;

  before(async () => (stack = await startStack()));
  after(async () => stack?.close());
  beforeEach(async () => (glue = await startGlue(stack)));
  afterEach(async () => glue.close());

  const uri = (rel: string) => glue.double.host.Uri.file(path.join(glue.folder, rel));
  const api = (method: string, body?: unknown, token: string | null = glue.user.deviceToken) =>
    fetch(`${stack.apiUrl}/share-links`, {
      method,
      headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });

  it('Copy Share Link puts a working read-only link on the clipboard, and the website lists it', async () => {
    glue.write('docs/plan.md', '# The plan\n');
    await glue.signIn();
    assert.equal(glue.double.contextKeys.get(CONTEXT_KEYS.shareLinksAvailable), true);
    await glue.double.host.commands.executeCommand(COMMANDS.copyShareLink, uri('docs/plan.md'));
    const url = glue.double.clipboard.at(-1)!;
    assert.match(url, new RegExp(`^${stack.url}/s/mdbs_[A-Za-z0-9_-]{40,}$`));
    assert.match(glue.double.messages.at(-1)!.message, /Share link for plan\.md copied/);

    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /plan\.md/);
    const listed = (await (await api('GET')).json()) as ShareLinksResponse;
    assert.deepEqual(
      listed.links.map((l) => [l.path, l.kind, l.expiresAt, l.hasPassword]),
      [['docs/plan.md', 'file', null, false]],
    );

    await glue.double.host.commands.executeCommand(COMMANDS.copyShareLink, uri('docs'));
    assert.notEqual(glue.double.clipboard.at(-1), url, 'a folder gets its own link');
  });

  it('says so when the file is not on the server yet', async () => {
    await glue.signIn();
    await glue.double.host.commands.executeCommand(COMMANDS.pause);
    glue.write('draft.md', 'not sent\n');
    await glue.double.host.commands.executeCommand(COMMANDS.copyShareLink, uri('draft.md'));
    assert.equal(glue.double.clipboard.length, 0);
    assert.match(glue.double.messages.at(-1)!.message, /draft\.md is not on the server yet/);
  });

  it('the router API refuses bad tokens, paths, expiries, passwords and bodies in words', async () => {
    await glue.editOnServer('a.txt', Buffer.from('a\n'));
    const status = async (res: Promise<Response>) => {
      const r = await res;
      const body = (await r.json().catch(() => ({}))) as { error?: { code: string; message: string } };
      return [r.status, body.error?.code] as const;
    };
    assert.deepEqual(await status(api('POST', { path: 'a.txt' }, null)), [401, 'unauthorized']);
    assert.deepEqual(await status(api('POST', { path: 'a.txt' }, 'mdbd_made-up')), [401, 'unauthorized']);
    assert.deepEqual(await status(api('GET', undefined, null)), [401, 'unauthorized']);
    assert.deepEqual(await status(api('POST', { path: '../etc/passwd' })), [400, 'invalid_path']);
    assert.deepEqual(await status(api('POST', { path: '/abs.txt' })), [400, 'invalid_path']);
    assert.deepEqual(await status(api('POST', {})), [400, 'invalid_request']);
    assert.deepEqual(await status(api('POST', '{"path": "a.txt"')), [400, 'invalid_request']);
    assert.deepEqual(await status(api('POST', { path: 'a.txt', expiresInDays: 0 })), [400, 'invalid_request']);
    assert.deepEqual(await status(api('POST', { path: 'a.txt', expiresInDays: 366 })), [400, 'invalid_request']);
    assert.deepEqual(await status(api('POST', { path: 'a.txt', password: 'x'.repeat(2000) })), [400, 'invalid_request']);
    assert.deepEqual(await status(api('POST', { path: 'missing.txt' })), [404, 'not_found']);
    assert.deepEqual(await status(api('POST', { path: 'x'.repeat(5000) })), [400, 'invalid_request']);

    const made = await api('POST', { path: 'a.txt', expiresInDays: 7, password: 'open sesame' });
    assert.equal(made.status, 201);
    const body = (await made.json()) as CreateShareLinkResponse;
    assert.match(body.urlPath, /^\/s\/mdbs_/);
    assert.equal(body.link.hasPassword, true);
    assert.ok(body.link.expiresAt! > Date.now() + 6 * 86_400_000);
    assert.equal(JSON.stringify(body).includes('open sesame'), false, 'the password never comes back');
  });
});
