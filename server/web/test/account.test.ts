// The account page over HTTP: changing the password (with or without keeping devices) and deleting the account.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, TEST_PASSWORD, uploadFile, type Stack } from '../../../test/support/stack';
import { WebClient, alertText } from './webClient';

const NEW_PASSWORD = 'a brand new riverside melody';

describe('account page', function () {
  this.timeout(60_000);
  let stack: Stack;

  before(async () => (stack = await startStack()));
  after(async () => stack?.close());

  async function loggedIn(username: string, password = TEST_PASSWORD): Promise<WebClient> {
    const web = new WebClient(stack.url);
    const res = await web.submit('/login', '/login', { username, password });
    assert.equal(res.status, 302, alertText(res.html));
    return web;
  }

  async function others(username: string) {
    const daemon = await stack.services.accounts.signIn({
      username,
      password: TEST_PASSWORD,
      clientAddress: '127.0.0.1',
      deviceKind: 'daemon',
    });
    const app = await stack.services.devices.createAppPassword(username, 'Finder');
    const otherBrowser = await loggedIn(username);
    return { daemon, app, otherBrowser };
  }

  const works = {
    daemon: (token: string) =>
      stack.services.devices.authenticate(token).then(
        () => true,
        () => false,
      ),
    app: (username: string, password: string) =>
      stack.services.devices.authenticateAppPassword(username, password, '127.0.0.1').then(
        () => true,
        () => false,
      ),
    browser: async (web: WebClient) => (await web.get('/files')).status === 200,
  };

  it('changes the password and signs out every other session and device, keeping this one', async () => {
    const user = await stack.signUpAndSignIn();
    const me = await loggedIn(user.username);
    const { daemon, app, otherBrowser } = await others(user.username);

    let res = await me.submit('/account', '/account/password', { currentPassword: 'not it at all', newPassword: NEW_PASSWORD });
    assert.equal(res.status, 401);
    assert.match(alertText(res.html) ?? '', /current password is not right/);
    res = await me.submit('/account', '/account/password', { currentPassword: TEST_PASSWORD, newPassword: 'password1' });
    assert.equal(res.status, 400);
    assert.match(alertText(res.html) ?? '', /commonly used/);
    assert.ok(await works.daemon(daemon.deviceToken), 'refusals change nothing');

    res = await me.submit('/account', '/account/password', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD });
    assert.equal(res.status, 303);
    assert.equal(res.location, '/account');
    const page = await me.get('/account');
    assert.match(page.html, /Your password was changed. 4 other browser, device or app passwords were signed out./);
    assert.doesNotMatch((await me.get('/account')).html, /Your password was changed/, 'said once');

    assert.equal(await works.daemon(daemon.deviceToken), false);
    assert.equal(await works.daemon(user.deviceToken), false);
    assert.equal(await works.app(user.username, app.password), false);
    assert.equal(await works.browser(otherBrowser), false);
    assert.equal(await works.browser(me), true, 'this session stays');
    await assert.rejects(
      stack.services.accounts.signIn({
        username: user.username,
        password: TEST_PASSWORD,
        clientAddress: '127.0.0.1',
        deviceKind: 'daemon',
      }),
    );
    await loggedIn(user.username, NEW_PASSWORD);
  });

  it('with "keep my devices", signs out only the other browsers', async () => {
    const user = await stack.signUpAndSignIn();
    const me = await loggedIn(user.username);
    const { daemon, app, otherBrowser } = await others(user.username);
    const res = await me.submit('/account', '/account/password', {
      currentPassword: TEST_PASSWORD,
      newPassword: NEW_PASSWORD,
      keepDevices: '1',
    });
    assert.equal(res.status, 303);
    assert.match((await me.get('/account')).html, /1 other browser was signed out/);
    assert.equal(await works.daemon(daemon.deviceToken), true);
    assert.equal(await works.daemon(user.deviceToken), true);
    assert.equal(await works.app(user.username, app.password), true);
    assert.equal(await works.browser(otherBrowser), false);
  });

  it('deletes nothing without the password and the confirmation', async () => {
    const user = await stack.signUpAndSignIn();
    await uploadFile(user, 'docs/secret.txt', Buffer.from('mine'));
    const me = await loggedIn(user.username);
    let res = await me.submit('/account', '/account/delete', { password: TEST_PASSWORD });
    assert.equal(res.status, 400);
    assert.match(alertText(res.html) ?? '', /Tick the box/);
    res = await me.submit('/account', '/account/delete', { password: 'not the password', confirm: '1' });
    assert.equal(res.status, 401);
    assert.match(alertText(res.html) ?? '', /not right; your account was not deleted/);
    assert.equal((await stack.services.files.list(user.username)).length, 1);
    assert.equal(await works.daemon(user.deviceToken), true);
  });

  it('deletes the account with its files and kept versions, and frees its place on the data server', async () => {
    const user = await stack.signUpAndSignIn();
    await uploadFile(user, 'docs/kept.txt', Buffer.from('kept'));
    await uploadFile(user, 'docs/gone.txt', Buffer.from('gone'));
    await stack.services.files.delete(user.username, 'docs/gone.txt'); // a deleted file, kept as a version
    assert.equal((await stack.services.files.deleted(user.username, {})).deleted.length, 1);
    const base = path.join(stack.dataServers[0].root, String(stack.dataServers[0].id));
    const onDisk = [path.join(base, user.username), path.join(base, '.versions', user.username)];
    for (const dir of onDisk) assert.ok(fs.existsSync(dir), `${dir} holds the account's bytes`);
    const users = async () => (await stack.services.dataServers.list())[0]!.users;
    const usersBefore = await users();

    const me = await loggedIn(user.username);
    const res = await me.submit('/account', '/account/delete', { password: TEST_PASSWORD, confirm: '1' });
    assert.equal(res.status, 303, alertText(res.html));
    assert.equal(res.location, '/');
    assert.match((await me.get('/')).html, /Your account and all its files were deleted/);

    for (const dir of onDisk) assert.equal(fs.existsSync(dir), false, `${dir} is gone`);
    assert.equal(await users(), usersBefore - 1, 'the data server has room for one more account');
    await assert.rejects(stack.services.accounts.getUser(user.username));
    // The same name signed up again starts empty: no file, deleted file or version of the old account shows.
    const again = await stack.signUpAndSignIn(user.username);
    assert.deepEqual(await stack.services.files.list(again.username), []);
    assert.deepEqual((await stack.services.files.deleted(again.username, {})).deleted, []);
    await assert.rejects(stack.services.files.versions(again.username, 'docs/gone.txt'), /no version/);
  });

  // Last: it stops the stack's data server.
  it('keeps the account and says so when its data server cannot remove the files', async () => {
    const user = await stack.signUpAndSignIn();
    const me = await loggedIn(user.username);
    await stack.dataServers[0].close();
    const res = await me.submit('/account', '/account/delete', { password: TEST_PASSWORD, confirm: '1' });
    assert.equal(res.status, 503);
    assert.match(alertText(res.html) ?? '', /could not be deleted right now.*your account is kept/);
    assert.equal((await stack.services.accounts.getUser(user.username)).username, user.username);
    assert.equal((await me.get('/account')).status, 200, 'still logged in, to try again');
  });
});
