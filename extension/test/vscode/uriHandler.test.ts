// Sign-in from the website's vscode:// link: the link is checked, the person confirms, and a one-time code becomes a device token.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as sync from '../../src/sync';
import { activateExtension, type Extension } from '../../src/activation';
import { parseSignInUri } from '../../src/uriHandler';
import { LOGIN_CODE_TTL_MS } from '@mydropbox/router';
import { startStack, type Stack } from '../../../test/support/stack';
import { createVscodeDouble, UriDouble, type VscodeDouble } from './double';

const link = (query: string, p = '/signin') => UriDouble.parse(`vscode://mydropbox.mydropbox${p}?${query}`);
const CODE = 'mdbc_0123456789abcdefABCDEF';

describe('sign-in link (URI handler)', () => {
  describe('parsing', () => {
    it('reads server and code', () => {
      assert.deepEqual(parseSignInUri(link(`server=${encodeURIComponent('https://files.example.org/')}&code=${CODE}`)), {
        serverUrl: 'https://files.example.org',
        code: CODE,
      });
      assert.deepEqual(parseSignInUri(link(`code=${CODE}&server=http%3A%2F%2F127.0.0.1%3A3000`)).serverUrl, 'http://127.0.0.1:3000');
    });

    const refused: [string, string, RegExp][] = [
      ['no code', `server=http%3A%2F%2F127.0.0.1%3A3000`, /no sign-in code/],
      ['empty code', `server=http%3A%2F%2F127.0.0.1%3A3000&code=`, /no sign-in code/],
      ['no server', `code=${CODE}`, /no server address/],
      ['javascript: server', `server=${encodeURIComponent('javascript:alert(1)')}&code=${CODE}`, /http:\/\/ or https:\/\//],
      ['file: server', `server=${encodeURIComponent('file:///etc/passwd')}&code=${CODE}`, /http:\/\/ or https:\/\//],
      ['ftp: server', `server=${encodeURIComponent('ftp://example.org')}&code=${CODE}`, /http:\/\/ or https:\/\//],
      ['server with credentials', `server=${encodeURIComponent('https://u:p@example.org')}&code=${CODE}`, /user name or password/],
      ['server that is not a URL', `server=nonsense&code=${CODE}`, /not a web address/],
      ['code with a slash', `server=http%3A%2F%2Fa.b&code=${encodeURIComponent('abc/../../x12345')}`, /malformed/],
      ['code too short', `server=http%3A%2F%2Fa.b&code=abc`, /malformed/],
      ['code too long', `server=http%3A%2F%2Fa.b&code=${'a'.repeat(201)}`, /malformed/],
    ];
    for (const [name, query, message] of refused) {
      it(`refuses a link with ${name}`, () => assert.throws(() => parseSignInUri(link(query)), message));
    }
    it('refuses other paths', () =>
      assert.throws(() => parseSignInUri(link(`server=http%3A%2F%2Fa.b&code=${CODE}`, '/open')), /does not handle/));
  });

  describe('against the real router', function () {
    this.timeout(60_000);
    let stack: Stack;
    let dir: string;
    let double: VscodeDouble;
    let ext: Extension;

    let clockOffset = 0;
    before(async () => (stack = await startStack({ now: () => Date.now() + clockOffset })));
    after(async () => stack?.close());
    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-ext-'));
      double = createVscodeDouble(path.join(dir, 'storage'));
      ext = await activateExtension(double.host, double.context, sync);
    });
    afterEach(async () => {
      await double.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    async function websiteLink(): Promise<{ username: string; uri: UriDouble; code: string }> {
      const user = await stack.signUpAndSignIn();
      const { code } = await stack.services.loginCodes.create(user.username);
      return { username: user.username, code, uri: link(`server=${encodeURIComponent(stack.url)}&code=${encodeURIComponent(code)}`) };
    }

    it('shows the account and the server and asks, then trades the code for a device token kept in SecretStorage', async () => {
      const { username, uri } = await websiteLink();
      double.answerMessages = (m) => (m.options.modal ? 'Sign In' : undefined);
      await double.uriHandlers[0]!.handleUri(uri);

      const modal = double.messages.find((m) => m.options.modal);
      assert.equal(modal?.message, `Sign in to MyDropbox as "${username}" at ${stack.url}?`);
      assert.match(modal?.options.detail ?? '', new RegExp(`"${username}" is your own account.*Open in VS Code`));
      assert.equal(ext.controller.signedIn?.username, username);
      const stored = JSON.parse(double.secrets.values.get('mydropbox.device')!) as { deviceToken: string };
      const res = await fetch(`${stack.apiUrl}/access-tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stored.deviceToken}` },
      });
      assert.equal(res.status, 201);
      assert.equal(double.settings.writes.length, 0, 'nothing written to settings');
      assert.equal(double.inputBoxes.length, 0, 'no password asked');
    });

    it('a dismissed confirmation signs nobody in and leaves the code unused', async () => {
      const { uri, code } = await websiteLink();
      await double.uriHandlers[0]!.handleUri(uri);
      assert.equal(ext.controller.signedIn, undefined);
      assert.equal(double.secrets.values.size, 0);
      const redeemed = await stack.services.loginCodes.redeem(code, 'later', 'vscode');
      assert.ok(redeemed.deviceToken);
    });

    it("a link with someone else's code names their account before anything is taken; declining leaves this editor as it was", async () => {
      const attacker = await stack.signUpAndSignIn();
      const { code } = await stack.services.loginCodes.create(attacker.username);
      let asked = '';
      double.answerMessages = (m) => {
        if (m.options.modal) asked = m.message;
        return undefined;
      };
      await double.uriHandlers[0]!.handleUri(link(`server=${encodeURIComponent(stack.url)}&code=${code}`));
      assert.equal(asked, `Sign in to MyDropbox as "${attacker.username}" at ${stack.url}?`);
      assert.equal(ext.controller.signedIn, undefined);
      assert.equal(double.secrets.values.size, 0);
      assert.equal(
        (await stack.services.devices.list(attacker.username)).filter((d) => d.kind === 'vscode').length,
        0,
        'no device was made',
      );
    });

    it('an expired code is refused before asking anything', async () => {
      const { uri } = await websiteLink();
      clockOffset = LOGIN_CODE_TTL_MS + 1000;
      try {
        await double.uriHandlers[0]!.handleUri(uri);
      } finally {
        clockOffset = 0;
      }
      assert.equal(double.messages.filter((m) => m.options.modal).length, 0);
      assert.match(double.messages.find((m) => m.level === 'error')?.message ?? '', /expired or was already used/);
    });

    it('a used code is refused with a message saying what to do', async () => {
      const { uri } = await websiteLink();
      double.answerMessages = (m) => (m.options.modal ? 'Sign In' : undefined);
      await double.uriHandlers[0]!.handleUri(uri);
      const first = ext.controller.signedIn?.deviceToken;
      assert.ok(first);

      await double.uriHandlers[0]!.handleUri(uri);
      const error = double.messages.find((m) => m.level === 'error');
      assert.match(error?.message ?? '', /expired or was already used; click "Open in VS Code" on the website again/);
      assert.equal(ext.controller.signedIn?.deviceToken, first, 'the working sign-in is kept');
    });

    it('a malformed link makes no request and shows why', async () => {
      await double.uriHandlers[0]!.handleUri(link(`server=${encodeURIComponent('javascript:alert(1)')}&code=${CODE}`));
      assert.equal(double.messages.length, 1);
      assert.equal(double.messages[0]!.level, 'error');
      assert.match(double.messages[0]!.message, /http:\/\/ or https:\/\//);
      assert.equal(double.secrets.values.size, 0);
    });

    it('signing in from a link to another server warns that the current device will be signed out, and revokes it', async () => {
      const first = await websiteLink();
      double.answerMessages = (m) => (m.options.modal ? 'Sign In' : undefined);
      await double.uriHandlers[0]!.handleUri(first.uri);
      const oldToken = ext.controller.signedIn!.deviceToken;

      const other = await startStack();
      try {
        const user = await other.signUpAndSignIn();
        const { code } = await other.services.loginCodes.create(user.username);
        await double.uriHandlers[0]!.handleUri(link(`server=${encodeURIComponent(other.url)}&code=${code}`));
        const modal = double.messages.filter((m) => m.options.modal)[1];
        assert.match(modal?.options.detail ?? '', new RegExp(`signed in to ${stack.url.replace(/\./g, '\\.')} now`));
        assert.equal(ext.controller.signedIn?.serverUrl, other.url);
        const res = await fetch(`${stack.apiUrl}/access-tokens`, { method: 'POST', headers: { authorization: `Bearer ${oldToken}` } });
        assert.equal(res.status, 401, 'the previous device token was revoked');
      } finally {
        await other.close();
      }
    });
  });
});
