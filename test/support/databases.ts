// Fresh, throwaway databases for tests: one MariaDB database per call (real server) or one SQLite file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { mysqlServerOf } from '@mydropbox/server-common';

export type DatabaseKind = 'mariadb' | 'sqlite';

/** Both engines, so store and migration suites run one contract against each. */
export const DATABASE_KINDS: readonly DatabaseKind[] = ['mariadb', 'sqlite'];

/** The server the tests use; TEST_MYSQL_URL overrides it (database part ignored). */
export const TEST_MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database; `serverUrl` picks another MySQL server than the tests' own (its database part is ignored). */
export async function createTestDatabase(kind: DatabaseKind = 'mariadb', serverUrl = TEST_MYSQL_URL): Promise<TestDatabase> {
  const name = `mdb_t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-sqlite-'));
    return {
      kind,
      url: `sqlite:${path.join(dir, `${name}.sqlite`)}`,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const admin = adminConnection(serverUrl);
  try {
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.destroy();
  }
  const base = new URL(serverUrl);
  base.pathname = `/${name}`;
  return {
    kind,
    url: base.toString(),
    drop: async () => {
      const conn = adminConnection(serverUrl);
      try {
        await conn.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await conn.destroy();
      }
    },
  };
}

function adminConnection(serverUrl: string) {
  return knexFactory({ client: 'mysql2', connection: mysqlServerOf(serverUrl), pool: { min: 0, max: 1 } });
}

/** A temp directory removed by the returned function. */
export function tempDir(prefix = 'mdb-'): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
