// Sign in and out through the commands, against the real router: the device token lands in SecretStorage, never in settings.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as sync from '../../src/sync';
import { activateExtension, type Extension } from '../../src/activation';
import { COMMANDS } from '../../src/commands';
import { startStack, type Stack } from '../../../test/support/stack';
import { createVscodeDouble, type VscodeDouble } from './double';

describe('sign in and sign out (real router)', function () {
  this.timeout(60_000);
  let stack: Stack;
  let dir: string;
  let double: VscodeDouble;
  let ext: Extension;

  before(async () => (stack = await startStack()));
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

  async function newAccount(): Promise<{ username: string; password: string }> {
    const user = await stack.signUpAndSignIn();
    return { username: user.username, password: user.password };
  }

  async function routerAccepts(deviceToken: string): Promise<number> {
    const res = await fetch(`${stack.apiUrl}/access-tokens`, { method: 'POST', headers: { authorization: `Bearer ${deviceToken}` } });
    await res.arrayBuffer();
    return res.status;
  }

  it('asks server, username and a masked password, and keeps the device token only in SecretStorage', async () => {
    const { username, password } = await newAccount();
    double.answerInputs(stack.url, username, password);
    assert.equal(await double.host.commands.executeCommand(COMMANDS.signIn), true);

    assert.equal(double.inputBoxes.length, 3);
    assert.equal(double.inputBoxes[0]!.value, 'http://127.0.0.1:3000', 'prefilled from mydropbox.serverUrl');
    assert.notEqual(double.inputBoxes[0]!.password, true);
    assert.notEqual(double.inputBoxes[1]!.password, true);
    assert.equal(double.inputBoxes[2]!.password, true, 'the password box masks what is typed');

    const stored = JSON.parse(double.secrets.values.get('mydropbox.device') ?? '{}') as {
      deviceToken?: string;
      username?: string;
      serverUrl?: string;
    };
    assert.equal(stored.username, username);
    assert.equal(stored.serverUrl, stack.url);
    assert.ok(stored.deviceToken && stored.deviceToken.length > 20);
    assert.equal(await routerAccepts(stored.deviceToken), 201);

    const everythingInSettings = JSON.stringify([...double.settings.values, ...double.settings.writes]);
    assert.ok(!everythingInSettings.includes(stored.deviceToken), 'the token never reaches settings');
    assert.ok(!everythingInSettings.includes(password), 'the password never reaches settings');
    assert.deepEqual(
      double.settings.writes.map((w) => [w.key, w.value]),
      [['mydropbox.serverUrl', stack.url]],
      'only the (non-secret) server address is remembered in settings',
    );
    assert.ok(!double.channels[0]!.lines.join('\n').includes(password), 'the password is never logged');
    assert.ok(!double.channels[0]!.lines.join('\n').includes(stored.deviceToken), 'the token is never logged');
    assert.equal(ext.controller.signedIn?.username, username);
    assert.ok(double.messages.some((m) => m.level === 'info' && m.message.includes(`signed in as ${username}`)));
  });

  it('a wrong password stores nothing and says so', async () => {
    const { username } = await newAccount();
    double.answerInputs(stack.url, username, 'not the password');
    assert.equal(await double.host.commands.executeCommand(COMMANDS.signIn), false);
    assert.equal(double.secrets.values.size, 0);
    const error = double.messages.find((m) => m.level === 'error');
    assert.equal(error?.message, 'MyDropbox: wrong username or password.');
    assert.deepEqual(error?.items, ['Try Again']);
    assert.equal(ext.controller.signedIn, undefined);
  });

  it('"Try Again" after a wrong password asks again and can succeed', async () => {
    const { username, password } = await newAccount();
    double.answerMessages = (m) => (m.level === 'error' ? 'Try Again' : undefined);
    double.answerInputs(stack.url, username, 'wrong', stack.url, username, password);
    assert.equal(await double.host.commands.executeCommand(COMMANDS.signIn), true);
    assert.equal(ext.controller.signedIn?.username, username);
  });

  it('refuses a server address that is not http(s) and takes the corrected one', async () => {
    const { username, password } = await newAccount();
    double.answerInputs(
      'ftp://127.0.0.1/',
      'javascript:alert(1)',
      'http://user:pw@127.0.0.1:3000',
      'not a url',
      stack.url,
      username,
      password,
    );
    assert.equal(await double.host.commands.executeCommand(COMMANDS.signIn), true);
    assert.deepEqual(
      double.refusedInputs.map((r) => r.value),
      ['ftp://127.0.0.1/', 'javascript:alert(1)', 'http://user:pw@127.0.0.1:3000', 'not a url'],
    );
    assert.match(double.refusedInputs[0]!.problem, /http:\/\/ or https:\/\//);
  });

  it('an unreachable server is reported with its address, and nothing is stored', async () => {
    double.answerInputs('http://127.0.0.1:9', 'someone', 'secret');
    assert.equal(await double.host.commands.executeCommand(COMMANDS.signIn), false);
    assert.match(
      double.messages.find((m) => m.level === 'error')?.message ?? '',
      /could not sign in to http:\/\/127\.0\.0\.1:9.*Cannot reach/,
    );
    assert.equal(double.secrets.values.size, 0);
  });

  it('pressing Escape at any step signs nobody in', async () => {
    for (const answers of [[undefined], [stack.url, undefined], [stack.url, 'someone', undefined]]) {
      double.answerInputs(...answers);
      assert.equal(await double.host.commands.executeCommand(COMMANDS.signIn), false);
    }
    assert.equal(double.secrets.values.size, 0);
  });

  it('Sign Out revokes the device token at the server and forgets it here', async () => {
    const { username, password } = await newAccount();
    double.answerInputs(stack.url, username, password);
    await double.host.commands.executeCommand(COMMANDS.signIn);
    const token = ext.controller.signedIn!.deviceToken;

    await double.host.commands.executeCommand(COMMANDS.signOut);
    assert.equal(double.secrets.values.size, 0);
    assert.equal(ext.controller.signedIn, undefined);
    assert.equal(ext.controller.status.kind, 'signedOut');
    assert.equal(await routerAccepts(token), 401, 'the router no longer accepts the revoked token');
  });

  it('a new window finds the stored device without asking again', async () => {
    const { username, password } = await newAccount();
    double.answerInputs(stack.url, username, password);
    await double.host.commands.executeCommand(COMMANDS.signIn);

    const second = createVscodeDouble(path.join(dir, 'storage'));
    for (const [k, v] of double.secrets.values) second.secrets.values.set(k, v);
    const again = await activateExtension(second.host, second.context, sync);
    assert.equal(again.controller.signedIn?.username, username);
    assert.equal(second.inputBoxes.length, 0);
    await second.dispose();
  });
});
