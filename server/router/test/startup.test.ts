// Configuration, first-start key creation, the shared start-up and the admin command, on SQLite files and MariaDB.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AccessTokenVerifier, openDatabase, silentLogger } from '@mydropbox/server-common';
import { loadOrCreateSigningKeys, loadRouterConfig, parseDataServers, startRouterServices } from '@mydropbox/router';
import { runAdmin } from '../src/admin';
import { createTestDatabase, tempDir } from '../../../test/support/databases';
import { startHealthEndpoint } from './harness';

describe('router configuration and start-up', () => {
  it('reads defaults under MYDROPBOX_HOME and names a bad variable', () => {
    const c = loadRouterConfig({ MYDROPBOX_HOME: '/srv/mdb' });
    assert.equal(c.port, 3001);
    assert.equal(c.databaseUrl, 'sqlite:/srv/mdb/central.sqlite');
    assert.equal(c.privateKeyFile, '/srv/mdb/keys/router-ed25519.pem');
    assert.equal(c.publicKeyFile, '/srv/mdb/keys/router-ed25519.pub.pem');
    assert.equal(c.trustProxy, false);
    assert.equal(loadRouterConfig({ TRUST_PROXY: '1' }).trustProxy, true);
    assert.throws(() => loadRouterConfig({ ROUTER_PORT: 'eighty' }), /ROUTER_PORT/);
    assert.throws(() => loadRouterConfig({ TRUST_PROXY: 'maybe' }), /TRUST_PROXY/);
    assert.throws(() => loadRouterConfig({ DATA_SERVERS: '1=host' }), /DATA_SERVERS/);
  });

  it('parses DATA_SERVERS', () => {
    assert.deepEqual(parseDataServers('1=127.0.0.1:7101, 2=[::1]:7102,'), [
      { id: 1, host: '127.0.0.1', port: 7101 },
      { id: 2, host: '::1', port: 7102 },
    ]);
    assert.deepEqual(parseDataServers(''), []);
    assert.throws(() => parseDataServers('0=h:1'), /DATA_SERVERS/);
    assert.throws(() => parseDataServers('1=h:99999'), /DATA_SERVERS/);
  });

  it('creates the key pair once, private key readable by the owner only, and reuses it', () => {
    const t = tempDir('mdb-keys-');
    try {
      const file = path.join(t.dir, 'keys', 'router-ed25519.pem');
      const first = loadOrCreateSigningKeys(file);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(fs.readFileSync(path.join(t.dir, 'keys', 'router-ed25519.pub.pem'), 'utf8'), first.publicKeyPem);
      assert.deepEqual(loadOrCreateSigningKeys(file), first);
    } finally {
      t.remove();
    }
  });

  it('starts services on a fresh home: migrates, registers DATA_SERVERS, polls them, and keeps an admin’s Available=0', async () => {
    const t = tempDir('mdb-home-');
    const endpoint = await startHealthEndpoint();
    const config = loadRouterConfig({ MYDROPBOX_HOME: t.dir, DATA_SERVERS: `1=127.0.0.1:${endpoint.port}`, DATA_SERVER_CAPACITY_GB: '50' });
    try {
      let started = await startRouterServices(config, silentLogger());
      const signedUp = await started.services.accounts.signUp({
        username: 'olga',
        email: 'olga@example.com',
        password: 'plain sailing on the sea',
      });
      assert.equal(signedUp.dataServer.url, `http://127.0.0.1:${endpoint.port}`);
      const { deviceToken } = await started.services.accounts.signIn({
        username: 'olga',
        password: 'plain sailing on the sea',
        clientAddress: '::1',
        deviceKind: 'daemon',
      });
      const { accessToken } = await started.services.accessTokens.issue(deviceToken);
      const publicKey = fs.readFileSync(config.publicKeyFile, 'utf8');
      assert.equal(new AccessTokenVerifier(publicKey).verify(accessToken, 1).sub, 'olga');
      await started.services.dataServers.setAvailable(1, false);
      await started.close();

      started = await startRouterServices(config, silentLogger());
      const [server] = await started.services.dataServers.list();
      assert.equal(server.available, false, 'a restart does not undo the admin');
      assert.equal(server.capacityGb, 50);
      assert.equal(server.users, 1);
      assert.equal((await started.services.accessTokens.issue(deviceToken)).dataServer.id, 1, 'the same key and database after restart');
      await started.close();
    } finally {
      await endpoint.close();
      t.remove();
    }
  });

  it('lists accounts by last use and removes them with the admin command (13.3)', async () => {
    const database = await createTestDatabase('mariadb');
    const endpoint = await startHealthEndpoint();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-admin-'));
    const lines: string[] = [];
    const out = (l: string) => lines.push(l);
    const env = { DATABASE_URL: database.url, MYDROPBOX_HOME: home };
    const db = openDatabase(database.url);
    try {
      await runAdmin(
        ['data-servers', 'add', '--id', '1', '--host', '127.0.0.1', '--port', String(endpoint.port), '--capacity', '20'],
        env,
        out,
      );
      const day = 24 * 3600_000;
      await db('Users').insert([
        { Username: 'idle', Email: 'idle@example.com', Password: 'x', DataServerId: 1, CreatedAt: Date.now() - 90 * day },
        { Username: 'busy', Email: 'busy@example.com', Password: 'x', DataServerId: 1, CreatedAt: Date.now() - 90 * day },
      ]);
      await db('Devices').insert({
        Username: 'busy',
        Name: 'n',
        Kind: 'daemon',
        TokenHash: 'a'.repeat(64),
        CreatedAt: Date.now(),
        LastSeenAt: Date.now(),
      });
      lines.length = 0;
      await runAdmin(['users', 'list'], env, out);
      assert.deepEqual(
        lines.map((l) => l.split('\t')[0]),
        ['idle', 'busy'],
        'oldest activity first',
      );
      assert.match(lines[0], /never used\t0 devices$/);
      assert.match(lines[1], /last used \d{4}-\d\d-\d\d\t1 devices$/);
      lines.length = 0;
      await runAdmin(['users', 'list', '--unused-days', '30'], env, out);
      assert.deepEqual(
        lines.map((l) => l.split('\t')[0]),
        ['idle'],
      );
      // The data server here does not empty accounts: nothing is removed and the command says why.
      await assert.rejects(runAdmin(['users', 'remove', 'idle'], env, out), /could not be deleted right now.*kept/);
      assert.ok(await db('Users').where({ Username: 'idle' }).first());
      await assert.rejects(runAdmin(['users', 'remove', 'nobody'], env, out), /no account "nobody"/);
      await assert.rejects(runAdmin(['users', 'remove'], env, out), /Name the accounts/);
    } finally {
      await db.destroy();
      await endpoint.close();
      await database.drop();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('runs the admin command on DATABASE_URL', async () => {
    const database = await createTestDatabase('mariadb');
    const endpoint = await startHealthEndpoint();
    const lines: string[] = [];
    const out = (l: string) => lines.push(l);
    const env = { DATABASE_URL: database.url };
    try {
      await runAdmin(['data-servers', 'list'], env, out);
      assert.match(lines.pop()!, /No data servers are registered/);
      await runAdmin(
        ['data-servers', 'add', '--id', '3', '--host', '127.0.0.1', '--port', String(endpoint.port), '--capacity', '20'],
        env,
        out,
      );
      assert.equal(lines.pop(), `Registered data server 3 at http://127.0.0.1:${endpoint.port} with 20 GB.`);
      await runAdmin(['data-servers', 'set-available', '3', 'false'], env, out);
      await runAdmin(['data-servers', 'list'], env, out);
      assert.equal(lines.pop(), `3\thttp://127.0.0.1:${endpoint.port}\t20 GB\t0 users\tunavailable\tup`);
      await assert.rejects(runAdmin(['data-servers', 'set-available', '4', 'true'], env, out), /no data server 4/);
      await assert.rejects(runAdmin(['data-servers', 'set-available', '3', 'yes'], env, out), /true or false/);
      await assert.rejects(
        runAdmin(['data-servers', 'add', '--id', 'x', '--host', 'h', '--port', '1', '--capacity', '1'], env, out),
        /--id must be a whole number/,
      );
      await assert.rejects(runAdmin(['data-servers', 'add', '--id', '5'], env, out), /Missing --host/);
      await assert.rejects(runAdmin(['users'], env, out), /Usage/);
      await assert.rejects(runAdmin(['accounts', 'list'], env, out), /Usage/);
    } finally {
      await endpoint.close();
      await database.drop();
    }
  });
});
