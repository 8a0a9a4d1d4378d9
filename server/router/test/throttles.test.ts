// Throttles that must not lock out the real owner (13.2) and that bound sign-ups (13.3), on MariaDB and SQLite.
import assert from 'node:assert/strict';
import { MyDropboxError } from '@mydropbox/shared';
import { DEFAULT_THROTTLE_POLICY, MAX_DEVICES_PER_ACCOUNT, type ThrottlePolicy } from '@mydropbox/router';
import { createTestDatabase, DATABASE_KINDS } from '../../../test/support/databases';
import { HealthEndpoint, RouterHarness, startHealthEndpoint, startRouter } from './harness';

const PASSWORD = 'a long and happy passphrase';
const is = (c: string) => (err: unknown) => MyDropboxError.is(err, c as never);
// The real policy with smaller numbers where reaching them would only cost the suite time.
const P: ThrottlePolicy = {
  ...DEFAULT_THROTTLE_POLICY,
  account: { ...DEFAULT_THROTTLE_POLICY.account, limit: 12 },
  signUpAddress: { ...DEFAULT_THROTTLE_POLICY.signUpAddress, limit: 3 },
  signUpGlobal: { ...DEFAULT_THROTTLE_POLICY.signUpGlobal, limit: 6 },
};

for (const kind of DATABASE_KINDS) {
  describe(`throttles on ${kind}`, () => {
    let h: RouterHarness;
    let endpoint: HealthEndpoint;

    before(async () => (endpoint = await startHealthEndpoint()));
    after(() => endpoint.close());
    beforeEach(async () => {
      h = await startRouter({ database: await createTestDatabase(kind), http: false, throttlePolicy: P });
      await h.services.dataServers.register({ id: 1, host: '127.0.0.1', port: endpoint.port, capacityGb: 1000 });
      await h.services.accounts.signUp({ username: 'erin', email: 'erin@example.com', password: PASSWORD, clientAddress: '192.0.2.200' });
    });
    afterEach(async () => {
      await h.close();
      await h.database.drop();
    });

    const signIn = (password: string, clientAddress: string, username = 'erin', services = h.services) =>
      services.accounts.signIn({ username, password, clientAddress, deviceKind: 'daemon' });
    const appPassword = (password: string, clientAddress: string, username = 'erin') =>
      h.services.devices.authenticateAppPassword(username, password, clientAddress);

    it('wrong passwords never lock out a working app password (a 256-bit secret needs no password throttle)', async () => {
      const { password } = await h.services.devices.createAppPassword('erin', 'Finder');
      for (let i = 0; i < P.pair.limit; i++) await assert.rejects(signIn(`wrong ${i}`, '198.51.100.7'), is('bad_credentials'));
      await assert.rejects(signIn(PASSWORD, '198.51.100.7'), is('rate_limited'));
      // The same address, and the account as a whole, still reach WebDAV with the app password.
      assert.equal((await appPassword(password, '198.51.100.7')).username, 'erin');
      assert.equal((await appPassword(password, '203.0.113.1')).username, 'erin');
    });

    it('failures from one address do not lock the owner out from another, and the lockout says when to retry', async () => {
      for (let i = 0; i < P.pair.limit; i++) await assert.rejects(signIn(`wrong ${i}`, '198.51.100.7'), is('bad_credentials'));
      await assert.rejects(signIn(PASSWORD, '198.51.100.7'), (err: unknown) => {
        assert.ok(MyDropboxError.is(err, 'rate_limited'));
        assert.match(err.message, /this account from your network address.*try again in 1 minute/);
        assert.equal(err.details?.retryAfterSeconds, 60);
        return true;
      });
      await signIn(PASSWORD, '203.0.113.50');
    });

    it('a slower limit for the account as a whole holds against many addresses, and ends by itself', async () => {
      for (let i = 0; i < P.account.limit; i++)
        await assert.rejects(signIn(`wrong ${i}`, `10.1.${i >> 8}.${i & 255}`), is('bad_credentials'));
      await assert.rejects(signIn(PASSWORD, '203.0.113.50'), (err: unknown) => {
        assert.ok(MyDropboxError.is(err, 'rate_limited'));
        assert.match(err.message, /Too many failed sign-in attempts for this account/);
        assert.match(err.message, /try again in \d+ minutes?/);
        return true;
      });
      h.clock.advance(P.account.baseLockMs + 1000);
      await signIn(PASSWORD, '203.0.113.50');
    });

    it('wrong app passwords are limited per address only, and the right one from elsewhere keeps working', async () => {
      const { password } = await h.services.devices.createAppPassword('erin', 'Finder');
      for (let i = 0; i < P.appPassword.limit; i++)
        await assert.rejects(appPassword(`mdbw_wrong${i}`, '198.51.100.9'), is('bad_credentials'));
      await assert.rejects(appPassword(password, '198.51.100.9'), is('rate_limited'));
      assert.equal((await appPassword(password, '198.51.100.10')).username, 'erin');
      // App-password failures do not count against password sign-ins.
      await signIn(PASSWORD, '198.51.100.9');
    });

    it('locks a pair across processes, makes each further lockout longer, then lets the owner in', async () => {
      for (let i = 0; i < P.pair.limit; i++) await assert.rejects(signIn('wrong', '192.0.2.1'), is('bad_credentials'));
      // A second process (or this one after a restart) reads the same state from the database.
      await assert.rejects(signIn(PASSWORD, '192.0.2.1', 'erin', h.secondServices()), is('rate_limited'));
      h.clock.advance(61_000);
      for (let i = 0; i < P.pair.limit; i++) await assert.rejects(signIn('wrong', '192.0.2.1'), is('bad_credentials'));
      await assert.rejects(
        signIn(PASSWORD, '192.0.2.1'),
        (err: unknown) => MyDropboxError.is(err, 'rate_limited') && err.details?.retryAfterSeconds === 120,
      );
      h.clock.advance(121_000);
      await signIn(PASSWORD, '192.0.2.1');
      const pair = await h.db('LoginAttempts').where('ThrottleKey', 'like', 'pair:%');
      assert.equal(pair.length, 0, 'success clears its own pair');
      assert.equal((await h.db('LoginAttempts').where({ ThrottleKey: 'account:erin' })).length, 1, 'but not the account-wide count');
    });

    it('forgets failures older than the window', async () => {
      for (let i = 0; i < P.pair.limit - 1; i++) await assert.rejects(signIn('wrong', '192.0.2.1'), is('bad_credentials'));
      h.clock.advance(P.pair.windowMs + 1000);
      for (let i = 0; i < P.pair.limit - 1; i++) await assert.rejects(signIn('wrong', '192.0.2.1'), is('bad_credentials'));
      await signIn(PASSWORD, '192.0.2.1');
    });

    it('locks an address that tries many accounts, but not other addresses, and a success elsewhere does not unlock it', async () => {
      for (let i = 0; i < P.address.limit; i++) await assert.rejects(signIn(PASSWORD, '192.0.2.66', `victim${i}`), is('bad_credentials'));
      await assert.rejects(
        signIn(PASSWORD, '192.0.2.66'),
        (err: unknown) => MyDropboxError.is(err, 'rate_limited') && /from your network address/.test(err.message),
      );
      await signIn(PASSWORD, '192.0.2.67');
      await assert.rejects(signIn(PASSWORD, '192.0.2.66'), is('rate_limited'));
    });

    it('sweeps rows that can no longer matter, and only those', async () => {
      await assert.rejects(signIn('wrong', '192.0.2.77'), is('bad_credentials'));
      h.clock.advance(P.forgetAfterMs + P.signUpAddress.maxLockMs + 1000);
      await assert.rejects(signIn('wrong', '192.0.2.78', 'someone-else', h.secondServices()), is('bad_credentials'));
      const keys = (await h.db('LoginAttempts').select('ThrottleKey')).map((r) => r.ThrottleKey).sort();
      assert.deepEqual(keys, ['account:someone-else', 'address:192.0.2.78', 'pair:someone-else@192.0.2.78']);
    });

    it('counts concurrent failures from several processes without losing any', async () => {
      const other = h.secondServices();
      await Promise.allSettled(
        [0, 1, 2, 3].map((i) =>
          (i % 2 ? other : h.services).accounts.signIn({
            username: 'erin',
            password: 'wrong',
            clientAddress: '192.0.2.5',
            deviceKind: 'daemon',
          }),
        ),
      );
      const [row] = await h.db('LoginAttempts').where({ ThrottleKey: 'account:erin' });
      assert.equal(Number(row.Failures), 4);
    });

    it('by default the account-wide limit is slower than the per-address one, and sign-ups are limited', () => {
      assert.ok(DEFAULT_THROTTLE_POLICY.account.limit >= 5 * DEFAULT_THROTTLE_POLICY.pair.limit);
      assert.ok(DEFAULT_THROTTLE_POLICY.signUpAddress.limit <= 10);
    });

    it('limits sign-ups per address and in total, across processes, and says when to try again', async () => {
      const signUp = (name: string, clientAddress: string, services = h.services) =>
        services.accounts.signUp({ username: name, email: `${name}@example.com`, password: PASSWORD, clientAddress });
      // erin was the first from 192.0.2.200; two more fit, the fourth is refused.
      await signUp('sue1', '192.0.2.200');
      await signUp('sue2', '192.0.2.200', h.secondServices());
      await assert.rejects(signUp('sue3', '192.0.2.200'), (err: unknown) => {
        assert.ok(MyDropboxError.is(err, 'rate_limited'));
        assert.match(err.message, /Too many new accounts.*try again in 60 minutes/);
        return true;
      });
      assert.equal(await h.db('Users').where({ Username: 'sue3' }).first(), undefined, 'nothing was created');
      // Other addresses go on until the global limit (6 in this policy), which holds for everyone.
      await Promise.all(['sue4', 'sue5', 'sue6'].map((n, i) => signUp(n, `198.51.100.${i}`)));
      await assert.rejects(signUp('sue7', '203.0.113.7'), is('rate_limited'));
      await assert.rejects(signUp('sue8', '203.0.113.8', h.secondServices()), is('rate_limited'));
      h.clock.advance(P.signUpGlobal.baseLockMs + 1000);
      await signUp('sue9', '203.0.113.9');
      assert.equal(Number((await h.db('Users').count({ n: '*' }))[0].n), 7);
    });

    it('counts parallel sign-ups from one address without letting any slip past', async () => {
      const results = await Promise.allSettled(
        [0, 1, 2, 3, 4].map((i) =>
          (i % 2 ? h.secondServices() : h.services).accounts.signUp({
            username: `par${i}`,
            email: `par${i}@example.com`,
            password: PASSWORD,
            clientAddress: '198.51.100.77',
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, P.signUpAddress.limit);
    });

    it('bounds the devices of one account: the least recently used browser makes room, other kinds are refused', async () => {
      const first = await h.services.devices.create('erin', 'old browser', 'web');
      for (let i = 1; i < MAX_DEVICES_PER_ACCOUNT; i++) {
        h.clock.advance(1000);
        await h.services.devices.create('erin', `device ${i}`, i % 2 ? 'daemon' : 'webdav');
      }
      h.clock.advance(1000);
      const browser = await h.services.devices.create('erin', 'new browser', 'web');
      await assert.rejects(h.services.devices.authenticate(first.token), is('unauthorized'), 'the oldest browser made room');
      assert.equal((await h.services.devices.list('erin')).length, MAX_DEVICES_PER_ACCOUNT);
      await h.services.devices.revoke('erin', browser.device.id);
      await h.services.devices.create('erin', 'one more', 'daemon');
      await assert.rejects(h.services.devices.create('erin', 'too many', 'daemon'), (err: unknown) => {
        assert.ok(MyDropboxError.is(err, 'invalid_request'));
        assert.match(err.message, /revoke some on the Devices page/);
        return true;
      });
    });

    it('counts the IPv6 addresses of one /64 as one address', async () => {
      for (let i = 0; i < P.pair.limit; i++)
        await assert.rejects(signIn('wrong', `2001:db8:1:2::${(i + 1).toString(16)}`), is('bad_credentials'));
      await assert.rejects(signIn(PASSWORD, '2001:db8:1:2:ffff::1'), is('rate_limited'));
      await signIn(PASSWORD, '2001:db8:1:3::1');
    });
  });
}
