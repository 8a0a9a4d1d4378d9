// Sign-in codes for the vscode:// link (13.6): single use, minutes long, bound to the session that made them, inspectable before use.
import assert from 'node:assert/strict';
import { MyDropboxError } from '@mydropbox/shared';
import { LOGIN_CODE_TTL_MS } from '@mydropbox/router';
import { HealthEndpoint, RouterHarness, call, startHealthEndpoint, startRouter } from './harness';

const PASSWORD = 'a long and happy passphrase';
const is = (c: string) => (err: unknown) => MyDropboxError.is(err, c as never);

describe('login codes (13.6)', () => {
  let h: RouterHarness;
  let endpoint: HealthEndpoint;

  before(async () => {
    endpoint = await startHealthEndpoint();
    h = await startRouter();
    await h.services.dataServers.register({ id: 1, host: '127.0.0.1', port: endpoint.port, capacityGb: 1000 });
    await h.services.accounts.signUp({ username: 'erin', email: 'erin@example.com', password: PASSWORD });
  });
  after(async () => {
    await h.close();
    await endpoint.close();
  });

  const webSession = () =>
    h.services.accounts.signIn({ username: 'erin', password: PASSWORD, clientAddress: '127.0.0.1', deviceKind: 'web' });

  it('expires within a few minutes', async () => {
    assert.ok(LOGIN_CODE_TTL_MS <= 3 * 60_000);
    const { code } = await h.services.loginCodes.create('erin');
    h.clock.advance(LOGIN_CODE_TTL_MS + 1);
    await assert.rejects(h.services.loginCodes.redeem(code, undefined, 'vscode'), is('unauthorized'));
  });

  it('tells the editor whose account a code signs in to, without using it up', async () => {
    const { code } = await h.services.loginCodes.create('erin');
    const seen = await call(`${h.url}/api/v1/login-codes/inspect`, 'POST', { body: { code } });
    assert.equal(seen.status, 200);
    assert.deepEqual(seen.body, { username: 'erin' });
    assert.equal((await h.services.loginCodes.redeem(code, undefined, 'vscode')).username, 'erin');
    const used = await call(`${h.url}/api/v1/login-codes/inspect`, 'POST', { body: { code } });
    assert.equal(used.status, 401);
    assert.equal((await call(`${h.url}/api/v1/login-codes/inspect`, 'POST', { body: { code: 'mdbc_nonsense' } })).status, 401);
    assert.equal((await call(`${h.url}/api/v1/login-codes/inspect`, 'POST', { body: { code: 42 } })).status, 400);
  });

  it('is bound to the browser session that made it: logging out there makes it worthless', async () => {
    const session = await webSession();
    const { code } = await h.services.loginCodes.create('erin', session.deviceId);
    await h.services.devices.revoke('erin', session.deviceId);
    await assert.rejects(h.services.loginCodes.redeem(code, undefined, 'vscode'), is('unauthorized'));
  });

  it('keeps one live code per session: a new one replaces the unused one before it', async () => {
    const session = await webSession();
    const first = await h.services.loginCodes.create('erin', session.deviceId);
    const second = await h.services.loginCodes.create('erin', session.deviceId);
    await assert.rejects(h.services.loginCodes.redeem(first.code, undefined, 'vscode'), is('unauthorized'));
    assert.equal((await h.services.loginCodes.redeem(second.code, undefined, 'vscode')).username, 'erin');
    await assert.rejects(h.services.loginCodes.redeem(second.code, undefined, 'vscode'), is('unauthorized'), 'single use');
  });
});
