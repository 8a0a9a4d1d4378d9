// Opens a knex connection from one setting (DATABASE_URL style) and runs the migrations for it.
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { UniqueViolationError } from 'objection';
import { MyDropboxError } from '@mydropbox/shared';

export type MigrationSet = 'central' | 'data';

const MIGRATIONS_ROOT = path.resolve(__dirname, '../../../migrations');

/**
 * `mysql://user:pass@host:port/db` for MySQL/MariaDB (mysql2), `sqlite:/abs/file.sqlite` or
 * `sqlite::memory:` for the embedded default.
 */
export function openDatabase(url: string): Knex {
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
    return knexFactory({
      client: 'mysql2',
      connection: {
        ...mysqlServerOf(url),
        database: u.pathname.replace(/^\//, ''),
        charset: 'utf8mb4',
        supportBigNumbers: true,
        bigNumberStrings: false,
        timezone: 'Z',
      },
      pool: { min: 0, max: 10 },
    });
  }
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          // WAL lets readers run beside a writer; FULL fsyncs the WAL at each commit (NORMAL would only at checkpoints, so a power cut could take back commits the clients were told of).
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = FULL');
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 5000');
          done(null, conn);
        },
      },
    });
  }
  throw new MyDropboxError('invalid_request', `Unsupported database URL "${url}": use mysql://… or sqlite:/path/to/file.`);
}

/** Host, port and credentials of a `mysql://` URL, without the database (to create or drop one). */
export function mysqlServerOf(url: string): { host: string; port: number; user: string; password: string } {
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  return { host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
}

export function isSqlite(db: Knex): boolean {
  return db.client.config.client === 'better-sqlite3';
}

/** Brings the database to the newest schema of the given set. */
export async function migrateLatest(db: Knex, set: MigrationSet): Promise<void> {
  await db.migrate.latest(migrationConfig(set));
}

export async function migrateRollbackAll(db: Knex, set: MigrationSet): Promise<void> {
  await db.migrate.rollback(migrationConfig(set), true);
}

export function migrationConfig(set: MigrationSet): Knex.MigratorConfig {
  return {
    directory: path.join(MIGRATIONS_ROOT, set),
    tableName: `knex_migrations_${set}`,
    loadExtensions: ['.ts', '.js'],
  };
}

/** One place that recognises a unique-key violation from either driver. */
export function isUniqueViolation(err: unknown): boolean {
  if (err instanceof UniqueViolationError) return true;
  const e = err as { code?: string; errno?: number; nativeError?: { code?: string } } | null;
  const code = e?.code ?? e?.nativeError?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'ER_DUP_ENTRY' || e?.errno === 1062;
}
