// The central migrations, up and down one by one, on MariaDB and SQLite alike.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Knex } from 'knex';
import { isUniqueViolation, migrateLatest, migrateRollbackAll, migrationConfig, openDatabase } from '@mydropbox/server-common';
import { createTestDatabase, DATABASE_KINDS, TestDatabase } from '../../../test/support/databases';

const TABLES: Record<string, string[]> = {
  DataServers: ['ServerId', 'MaxCapacity', 'IpAddr', 'ListeningPort', 'Available'],
  Users: ['Username', 'Email', 'Password', 'DataServerId', 'CreatedAt'],
  Devices: ['Id', 'Username', 'Name', 'Kind', 'TokenHash', 'CreatedAt', 'LastSeenAt', 'RevokedAt'],
  LoginAttempts: ['ThrottleKey', 'Failures', 'WindowStartedAt', 'Lockouts', 'LockedUntil', 'UpdatedAt'],
  LoginCodes: ['CodeHash', 'Username', 'CreatedAt', 'ExpiresAt', 'UsedAt'],
  ShareLinks: ['Id', 'Username', 'TokenHash', 'Path', 'Kind', 'PasswordHash', 'CreatedAt', 'ExpiresAt', 'RevokedAt', 'Downloads'],
};

/**
 * What each migration makes: a table, or `index:Table` for an index or column on an existing table. A new
 * migration must be added here, so its down() is tested too.
 */
const TABLE_OF_MIGRATION: Record<string, string> = {
  '20261201120000_create_data_servers.ts': 'DataServers',
  '20261201120100_create_users.ts': 'Users',
  '20261201120200_create_devices.ts': 'Devices',
  '20261201120300_create_login_attempts.ts': 'LoginAttempts',
  '20261201120400_create_login_codes.ts': 'LoginCodes',
  '20261215120000_create_dav_properties.ts': 'DavProperties',
  '20261226120000_index_devices_revoked_at.ts': 'index:Devices',
  '20261227120000_create_share_links.ts': 'ShareLinks',
  '20261228120000_add_login_codes_device_id.ts': 'index:LoginCodes',
};

for (const kind of DATABASE_KINDS) {
  describe(`central migrations on ${kind}`, () => {
    let database: TestDatabase;
    let db: Knex;

    before(async () => {
      database = await createTestDatabase(kind);
      db = openDatabase(database.url);
    });
    after(async () => {
      await db.destroy();
      await database.drop();
    });

    it('creates every table with the seed column names', async () => {
      await migrateLatest(db, 'central');
      for (const [table, columns] of Object.entries(TABLES)) {
        assert.ok(await db.schema.hasTable(table), `${table} exists`);
        for (const column of columns) assert.ok(await db.schema.hasColumn(table, column), `${table}.${column} exists`);
      }
    });

    it('enforces unique emails and device token hashes', async () => {
      await db('DataServers').insert({ ServerId: 1, MaxCapacity: 10, IpAddr: 'h', ListeningPort: '1', Available: true });
      await db('Users').insert({ Username: 'a', Email: 'same@x.io', Password: 'h', DataServerId: 1, CreatedAt: 1 });
      await assert.rejects(
        db('Users').insert({ Username: 'b', Email: 'same@x.io', Password: 'h', DataServerId: 1, CreatedAt: 1 }),
        isUniqueViolation,
      );
      await assert.rejects(
        db('Users').insert({ Username: 'a', Email: 'other@x.io', Password: 'h', DataServerId: 1, CreatedAt: 1 }),
        isUniqueViolation,
      );
      await db('Devices').insert({ Username: 'a', Name: 'n', Kind: 'daemon', TokenHash: 'f'.repeat(64), CreatedAt: 1 });
      await assert.rejects(
        db('Devices').insert({ Username: 'a', Name: 'n', Kind: 'daemon', TokenHash: 'f'.repeat(64), CreatedAt: 1 }),
        isUniqueViolation,
      );
      const [row] = await db('DataServers').select('Available');
      assert.equal(Number(row.Available), 1, 'Available is stored as tinyint 1');
      await db('Devices').delete();
      await db('Users').delete();
      await db('DataServers').delete();
    });

    it('rolls back one migration at a time down to nothing, then up again', async () => {
      const config = migrationConfig('central');
      const files = fs.readdirSync(config.directory as string).filter((f) => f.endsWith('.ts'));
      assert.deepEqual(
        [...files].sort(),
        Object.keys(TABLE_OF_MIGRATION).sort(),
        'every central migration is listed in TABLE_OF_MIGRATION with the table it creates',
      );
      const tablesNewestFirst = [...files]
        .sort()
        .reverse()
        .map((f) => TABLE_OF_MIGRATION[f]);
      const created = tablesNewestFirst.filter((t) => !t.startsWith('index:'));
      for (const made of tablesNewestFirst) {
        const table = made.replace(/^index:/, '');
        assert.ok(await db.schema.hasTable(table));
        await db.migrate.down(config);
        // An index's down() drops only the index; its table stays for the migration that made it.
        assert.equal(await db.schema.hasTable(table), made.startsWith('index:'), `${made} undone by its down()`);
      }
      await migrateLatest(db, 'central');
      for (const table of created) assert.ok(await db.schema.hasTable(table));
      await migrateRollbackAll(db, 'central');
      for (const table of created) assert.equal(await db.schema.hasTable(table), false);
    });
  });
}
