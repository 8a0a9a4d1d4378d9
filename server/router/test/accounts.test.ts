// Sign-up assignment and sign-in, as a contract run against MariaDB and SQLite.
import assert from 'node:assert/strict';
import { MyDropboxError } from '@mydropbox/shared';
import { createTestDatabase, DATABASE_KINDS } from '../../../test/support/databases';
import { HealthEndpoint, RouterHarness, startHealthEndpoint, startRouter } from './harness';

const code = (c: string) => (err: unknown) => MyDropboxError.is(err, c as never);

for (const kind of DATABASE_KINDS) {
  describe(`accounts on ${kind}`, () => {
    let h: RouterHarness;
    const endpoints: HealthEndpoint[] = [];

    async function addServer(id: number, capacityGb: number, opts: { available?: boolean; status?: number } = {}) {
      const e = await startHealthEndpoint(opts.status ?? 200);
      endpoints.push(e);
      await h.services.dataServers.register({ id, host: '127.0.0.1', port: e.port, capacityGb, available: opts.available });
      return e;
    }
    const userCount = async () => Number((await h.db('Users').count({ n: '*' }))[0].n);
    let n = 0;
    const fresh = () => {
      n += 1;
      return { username: `user${n}`, email: `user${n}@example.com`, password: 'correct horse' };
    };

    beforeEach(async () => {
      h = await startRouter({ database: await createTestDatabase(kind), http: false });
    });
    afterEach(async () => {
      await h.close();
      await h.database.drop();
      await Promise.all(endpoints.splice(0).map((e) => e.close()));
    });

    it('puts a new user on the first server with room and stores only an argon2id hash', async () => {
      await addServer(1, 10);
      await addServer(2, 1000);
      const res = await h.services.accounts.signUp({ username: 'Alice', email: 'Alice@Example.com', password: 'correct horse' });
      assert.equal(res.username, 'alice');
      assert.equal(res.dataServer.id, 1);
      const row = await h.db('Users').where({ Username: 'alice' }).first();
      assert.equal(row.Email, 'alice@example.com');
      assert.match(row.Password, /^\$argon2id\$/);
      assert.ok(!row.Password.includes('correct horse'));
      assert.equal(Number(row.DataServerId), 1);
    });

    it('skips a full server, an unavailable one and one failing /healthz', async () => {
      await addServer(1, 5); // room for exactly one user
      await addServer(2, 1000, { available: false });
      await addServer(3, 1000, { status: 500 });
      await addServer(4, 1000);
      await h.services.dataServers.checkNow();
      assert.equal((await h.services.accounts.signUp(fresh())).dataServer.id, 1);
      assert.equal((await h.services.accounts.signUp(fresh())).dataServer.id, 4, 'server 1 is full, 2 unavailable, 3 down');
      await h.services.dataServers.setAvailable(2, true);
      assert.equal((await h.services.accounts.signUp(fresh())).dataServer.id, 2, 'available again');
    });

    it('places no new user on a server whose disk is nearly full, until it has room again', async () => {
      const full = await addServer(1, 1000);
      full.body = { status: 'ok', serverId: 1, diskNearlyFull: true, freeBytes: 1000 };
      await addServer(2, 1000);
      await h.services.dataServers.checkNow();
      assert.equal((await h.services.accounts.signUp(fresh())).dataServer.id, 2, 'server 1 says its disk is nearly full');
      const listed = (await h.services.dataServers.list()).find((s) => s.id === 1)!;
      assert.equal(listed.diskFull, true);
      assert.equal(listed.acceptsNewUsers, false);
      full.body = { status: 'ok', serverId: 1, diskNearlyFull: false, freeBytes: 1e12 };
      await h.services.dataServers.checkNow();
      assert.equal((await h.services.accounts.signUp(fresh())).dataServer.id, 1, 'room again');
    });

    it('notices a server going down and coming back on the next poll', async () => {
      const e = await addServer(1, 1000);
      await addServer(2, 1000);
      await h.services.dataServers.checkNow();
      e.status = 0;
      await h.services.dataServers.checkNow();
      assert.equal(h.services.dataServers.isHealthy(1), false);
      assert.equal((await h.services.accounts.signUp(fresh())).dataServer.id, 2);
      e.status = 200;
      await h.services.dataServers.checkNow();
      assert.equal((await h.services.accounts.signUp(fresh())).dataServer.id, 1);
    });

    it('refuses with no_capacity and creates nothing when every server is full', async () => {
      await addServer(1, 5);
      await addServer(2, 9); // 9 - 5 = 4 < 5 after one user; 9 >= 5 before
      await h.services.accounts.signUp(fresh());
      await h.services.accounts.signUp(fresh());
      const before = await userCount();
      await assert.rejects(h.services.accounts.signUp(fresh()), (err: unknown) => {
        assert.ok(MyDropboxError.is(err, 'no_capacity'));
        assert.match(err.message, /No data server has room for a new account/);
        return true;
      });
      assert.equal(await userCount(), before);
    });

    it('refuses with no_capacity when there are no servers at all', async () => {
      await assert.rejects(h.services.accounts.signUp(fresh()), code('no_capacity'));
      assert.equal(await userCount(), 0);
    });

    it('gives the last free slot to exactly one of several simultaneous sign-ups', async () => {
      await addServer(1, 5);
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => h.services.accounts.signUp(fresh())));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(MyDropboxError.is(r.reason, 'no_capacity'), String(r.reason));
      assert.equal(await userCount(), 1);
    });

    it('refuses a taken username or email, whatever their case, and a race on the same name', async () => {
      await addServer(1, 1000);
      await h.services.accounts.signUp({ username: 'bob', email: 'bob@example.com', password: 'plain sailing on the sea' });
      await assert.rejects(
        h.services.accounts.signUp({ username: 'BOB', email: 'other@example.com', password: 'plain sailing on the sea' }),
        code('username_taken'),
      );
      await assert.rejects(
        h.services.accounts.signUp({ username: 'bobby', email: 'Bob@Example.COM', password: 'plain sailing on the sea' }),
        code('email_taken'),
      );
      const race = await Promise.allSettled(
        [1, 2, 3].map((i) =>
          h.services.accounts.signUp({ username: 'carol', email: `carol${i}@example.com`, password: 'plain sailing on the sea' }),
        ),
      );
      assert.equal(race.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of race) if (r.status === 'rejected') assert.ok(MyDropboxError.is(r.reason, 'username_taken'), String(r.reason));
      assert.equal(await userCount(), 2);
    });

    it('refuses bad input with a readable invalid_request and creates nothing', async () => {
      await addServer(1, 1000);
      const bad = [
        { username: 'ab', email: 'a@example.com', password: 'plain sailing on the sea' },
        { username: 'a'.repeat(33), email: 'a@example.com', password: 'plain sailing on the sea' },
        { username: '../etc', email: 'a@example.com', password: 'plain sailing on the sea' },
        { username: 'has space', email: 'a@example.com', password: 'plain sailing on the sea' },
        { username: '.hidden', email: 'a@example.com', password: 'plain sailing on the sea' },
        { username: 'émile', email: 'a@example.com', password: 'plain sailing on the sea' },
        { username: 'okname', email: 'not-an-email', password: 'plain sailing on the sea' },
        { username: 'okname', email: 'a@b', password: 'plain sailing on the sea' },
        { username: 'okname', email: 'a@example.com', password: 'short' },
        { username: 'okname', email: 'a@example.com', password: 'x'.repeat(1025) },
        { username: 42, email: 'a@example.com', password: 'plain sailing on the sea' },
      ];
      for (const input of bad) {
        await assert.rejects(h.services.accounts.signUp(input as never), (err: unknown) => {
          assert.ok(MyDropboxError.is(err, 'invalid_request'), `${JSON.stringify(input).slice(0, 80)} → ${String(err)}`);
          assert.ok(err.message.length > 20);
          return true;
        });
      }
      assert.equal(await userCount(), 0);
    });

    it('signs in with a device token and answers wrong user and wrong password alike', async () => {
      await addServer(1, 1000);
      await h.services.accounts.signUp({ username: 'dave', email: 'dave@example.com', password: 'plain sailing on the sea' });
      const ok = await h.services.accounts.signIn({
        username: 'Dave',
        password: 'plain sailing on the sea',
        clientAddress: '10.0.0.1',
        deviceKind: 'daemon',
      });
      assert.equal(ok.username, 'dave');
      assert.match(ok.deviceToken, /^mdbd_[A-Za-z0-9_-]{43}$/);
      assert.equal(ok.dataServer.id, 1);
      const stored = await h.db('Devices').where({ Id: ok.deviceId }).first();
      assert.notEqual(stored.TokenHash, ok.deviceToken, 'only the hash is stored');
      assert.equal(stored.Name, 'MyDropbox daemon');
      const messages: string[] = [];
      for (const attempt of [
        { username: 'dave', password: 'wrong-password' },
        { username: 'nobody', password: 'plain sailing on the sea' },
      ]) {
        await assert.rejects(
          h.services.accounts.signIn({ ...attempt, clientAddress: '10.0.0.2', deviceKind: 'daemon' }),
          (err: unknown) => {
            assert.ok(MyDropboxError.is(err, 'bad_credentials'));
            messages.push(err.message);
            return true;
          },
        );
      }
      assert.equal(messages[0], messages[1]);
      const me = await h.services.accounts.getUser('dave');
      assert.deepEqual(
        { ...me, dataServer: me.dataServer.id },
        { username: 'dave', email: 'dave@example.com', dataServer: 1, quotaBytes: 5_000_000_000 },
      );
    });
  });
}
