// Device tokens, app passwords, login codes and access tokens, as a contract run against MariaDB and SQLite.
import assert from 'node:assert/strict';
import { MyDropboxError } from '@mydropbox/shared';
import { AccessTokenSigner, AccessTokenVerifier, generateSigningKeys } from '@mydropbox/server-common';
import { DEFAULT_THROTTLE_POLICY, LOGIN_CODE_TTL_MS } from '@mydropbox/router';
import { createTestDatabase, DATABASE_KINDS } from '../../../test/support/databases';
import { HealthEndpoint, RouterHarness, startHealthEndpoint, startRouter } from './harness';

const is = (c: string) => (err: unknown) => MyDropboxError.is(err, c as never);

for (const kind of DATABASE_KINDS) {
  describe(`devices and tokens on ${kind}`, () => {
    let h: RouterHarness;
    let endpoint: HealthEndpoint;

    before(async () => {
      endpoint = await startHealthEndpoint();
    });
    after(() => endpoint.close());
    beforeEach(async () => {
      h = await startRouter({ database: await createTestDatabase(kind), http: false });
      await h.services.dataServers.register({ id: 1, host: '127.0.0.1', port: endpoint.port, capacityGb: 1000 });
      await h.services.dataServers.register({ id: 2, host: '127.0.0.1', port: endpoint.port, capacityGb: 1000 });
      await h.services.accounts.signUp({ username: 'erin', email: 'erin@example.com', password: 'plain sailing on the sea' });
    });
    afterEach(async () => {
      await h.close();
      await h.database.drop();
    });

    const signIn = (password: string, clientAddress = '192.0.2.1', username = 'erin', services = h.services) =>
      services.accounts.signIn({ username, password, clientAddress, deviceKind: 'daemon' });

    describe('device tokens', () => {
      it('authenticates a token until it is revoked, then refuses it at once', async () => {
        const { deviceToken, deviceId } = await signIn('plain sailing on the sea');
        assert.deepEqual(await h.services.devices.authenticate(deviceToken), {
          username: 'erin',
          deviceId,
          kind: 'daemon',
          name: 'MyDropbox daemon',
        });
        await h.services.devices.revoke('erin', deviceId);
        await assert.rejects(h.services.devices.authenticate(deviceToken), is('unauthorized'));
        await assert.rejects(h.services.accessTokens.issue(deviceToken), is('unauthorized'));
        await assert.rejects(h.services.devices.revoke('erin', deviceId), is('not_found'));
      });

      it('refuses unknown, malformed and other users’ device ids', async () => {
        await assert.rejects(h.services.devices.authenticate('mdbd_' + 'A'.repeat(43)), is('unauthorized'));
        await assert.rejects(h.services.devices.authenticate(''), is('unauthorized'));
        const { deviceId } = await signIn('plain sailing on the sea');
        await h.services.accounts.signUp({ username: 'frank', email: 'frank@example.com', password: 'plain sailing on the sea' });
        await assert.rejects(h.services.devices.revoke('frank', deviceId), is('not_found'));
      });

      it('lists active devices and updates LastSeenAt at most once a minute', async () => {
        const a = await signIn('plain sailing on the sea');
        const b = await h.services.devices.create('erin', 'Laptop', 'vscode');
        assert.deepEqual(
          (await h.services.devices.list('erin')).map((d) => [d.id, d.name, d.kind]),
          [
            [a.deviceId, 'MyDropbox daemon', 'daemon'],
            [b.device.id, 'Laptop', 'vscode'],
          ],
        );
        const seen = async () => Number((await h.db('Devices').where({ Id: a.deviceId }).first()).LastSeenAt);
        const first = await seen();
        h.clock.advance(30_000);
        await h.services.devices.authenticate(a.deviceToken);
        assert.equal(await seen(), first);
        h.clock.advance(31_000);
        await h.services.devices.authenticate(a.deviceToken);
        assert.ok((await seen()) >= first + 61_000);
        await h.services.devices.revoke('erin', b.device.id);
        assert.equal((await h.services.devices.list('erin')).length, 1);
      });

      it('app passwords work only for WebDAV Basic auth, only for their user, are throttled per address and revocable', async () => {
        const { password, device } = await h.services.devices.createAppPassword('erin', 'Finder');
        assert.equal(device.kind, 'webdav');
        assert.deepEqual(await h.services.devices.authenticateAppPassword('Erin', password, '192.0.2.1'), {
          username: 'erin',
          deviceId: device.id,
          kind: 'webdav',
        });
        await assert.rejects(h.services.devices.authenticate(password), is('unauthorized'), 'not a Bearer token');
        const { deviceToken } = await signIn('plain sailing on the sea');
        await assert.rejects(h.services.devices.authenticateAppPassword('erin', deviceToken, '192.0.2.1'), is('bad_credentials'));
        await assert.rejects(
          h.services.devices.authenticateAppPassword('erin', 'plain sailing on the sea', '192.0.2.1'),
          is('bad_credentials'),
        );
        await h.services.accounts.signUp({ username: 'gina', email: 'gina@example.com', password: 'plain sailing on the sea' });
        await assert.rejects(h.services.devices.authenticateAppPassword('gina', password, '192.0.2.1'), is('bad_credentials'));
        // Wrong ones are throttled per address (throttles.test.ts); the right one from another address still works.
        for (let i = 0; i < DEFAULT_THROTTLE_POLICY.appPassword.limit; i++)
          await assert.rejects(h.services.devices.authenticateAppPassword('erin', `mdbw_wrong${i}`, '192.0.2.9'), is('bad_credentials'));
        await assert.rejects(h.services.devices.authenticateAppPassword('erin', password, '192.0.2.9'), is('rate_limited'));
        await h.services.devices.authenticateAppPassword('erin', password, '192.0.2.10');
        await h.services.devices.revoke('erin', device.id);
        await assert.rejects(h.services.devices.authenticateAppPassword('erin', password, '192.0.2.10'), is('bad_credentials'));
      });
    });

    describe('login codes', () => {
      it('trades a code for a device token once', async () => {
        const { code, expiresAt } = await h.services.loginCodes.create('erin');
        assert.ok(expiresAt - h.clock.now() <= LOGIN_CODE_TTL_MS);
        const signedIn = await h.services.loginCodes.redeem(code, 'My VS Code', 'vscode');
        assert.equal(signedIn.username, 'erin');
        assert.equal((await h.services.devices.authenticate(signedIn.deviceToken)).kind, 'vscode');
        await assert.rejects(h.services.loginCodes.redeem(code, undefined, 'vscode'), is('unauthorized'));
        const stored = await h.db('LoginCodes').first();
        assert.notEqual(stored.CodeHash, code);
      });

      it('refuses an expired or unknown code, and lets only one of two simultaneous redeems win', async () => {
        const expired = await h.services.loginCodes.create('erin');
        h.clock.advance(LOGIN_CODE_TTL_MS + 1);
        await assert.rejects(h.services.loginCodes.redeem(expired.code, undefined, 'vscode'), is('unauthorized'));
        await assert.rejects(h.services.loginCodes.redeem('mdbc_nope', undefined, 'vscode'), is('unauthorized'));
        const { code } = await h.services.loginCodes.create('erin');
        const both = await Promise.allSettled([
          h.services.loginCodes.redeem(code, undefined, 'vscode'),
          h.secondServices().loginCodes.redeem(code, undefined, 'vscode'),
        ]);
        assert.equal(both.filter((r) => r.status === 'fulfilled').length, 1);
      });
    });

    describe('access tokens', () => {
      it('signs a user-scope token for the user’s own data server that the data server verifies', async () => {
        const { deviceToken, deviceId } = await signIn('plain sailing on the sea');
        const issued = await h.services.accessTokens.issue(deviceToken);
        assert.equal(issued.dataServer.id, 1);
        assert.equal(issued.dataServer.url, `http://127.0.0.1:${endpoint.port}`);
        const claims = h.verifier.verify(issued.accessToken, 1, h.clock.now());
        assert.deepEqual({ ...claims, exp: 0 }, { sub: 'erin', sid: 1, did: deviceId, scope: 'user', dn: 'MyDropbox daemon', exp: 0 });
        assert.ok(issued.expiresAt - h.clock.now() <= 300_000 && issued.expiresAt - h.clock.now() > 290_000);
      });

      it('gives tokens a data server must refuse when expired, forged, for another server or tampered with', async () => {
        const { deviceToken } = await signIn('plain sailing on the sea');
        const { accessToken, expiresAt } = await h.services.accessTokens.issue(deviceToken);
        assert.throws(() => h.verifier.verify(accessToken, 1, expiresAt + 1), is('token_expired'));
        assert.throws(() => h.verifier.verify(accessToken, 2, h.clock.now()), is('forbidden'));
        const forged = new AccessTokenSigner(generateSigningKeys().privateKeyPem).sign({ sub: 'erin', sid: 1, scope: 'user' }).token;
        assert.throws(() => h.verifier.verify(forged, 1, h.clock.now()), is('unauthorized'));
        const [payload, signature] = accessToken.split('.');
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
        const otherUser = Buffer.from(JSON.stringify({ ...claims, sub: 'frank' })).toString('base64url');
        assert.throws(
          () => h.verifier.verify(`${otherUser}.${signature}`, 1, h.clock.now()),
          is('unauthorized'),
          'changing sub breaks the signature',
        );
        assert.throws(
          () => new AccessTokenVerifier(generateSigningKeys().publicKeyPem).verify(accessToken, 1, h.clock.now()),
          is('unauthorized'),
        );
      });

      it('issues each user tokens for their own name only, and router-scope tokens for the gateway', async () => {
        await h.services.accounts.signUp({ username: 'hank', email: 'hank@example.com', password: 'plain sailing on the sea' });
        const erin = await h.services.accessTokens.issue((await signIn('plain sailing on the sea')).deviceToken);
        const hank = await h.services.accessTokens.issue((await signIn('plain sailing on the sea', '192.0.2.1', 'hank')).deviceToken);
        assert.equal(h.verifier.verify(erin.accessToken, 1).sub, 'erin');
        assert.equal(h.verifier.verify(hank.accessToken, 1).sub, 'hank');
        const router = await h.services.accessTokens.routerToken('hank');
        assert.deepEqual({ ...h.verifier.verify(router.token, 1), exp: 0 }, { sub: 'hank', sid: 1, scope: 'router', exp: 0 });
      });
    });
  });
}
