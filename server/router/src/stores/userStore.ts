// Rows of Users.
import type { Knex } from 'knex';
import { UserRow } from './models';

export interface UserRecord {
  username: string;
  email: string;
  passwordHash: string;
  dataServerId: number;
  createdAt: number;
}

function toRecord(row: UserRow): UserRecord {
  return {
    username: row.Username,
    email: row.Email,
    passwordHash: row.Password,
    dataServerId: Number(row.DataServerId),
    createdAt: Number(row.CreatedAt),
  };
}

export async function findUser(db: Knex | Knex.Transaction, username: string): Promise<UserRecord | undefined> {
  const row = await UserRow.query(db).findById(username);
  return row ? toRecord(row) : undefined;
}

export async function findUserByEmail(db: Knex | Knex.Transaction, email: string): Promise<UserRecord | undefined> {
  const row = await UserRow.query(db).findOne({ Email: email });
  return row ? toRecord(row) : undefined;
}

export async function insertUser(db: Knex | Knex.Transaction, u: UserRecord): Promise<void> {
  await UserRow.query(db).insert({
    Username: u.username,
    Email: u.email,
    Password: u.passwordHash,
    DataServerId: u.dataServerId,
    CreatedAt: u.createdAt,
  });
}

export async function setPasswordHash(db: Knex | Knex.Transaction, username: string, passwordHash: string): Promise<void> {
  await UserRow.query(db).findById(username).patch({ Password: passwordHash });
}

/**
 * Removes the user's rows from every central table in one transaction: dead properties, login codes,
 * devices and app passwords, throttle counters keyed by the name, and the user. Data servers are
 * emptied before this (their files would otherwise have no owner left to remove them).
 */
export async function deleteUserRows(db: Knex, username: string): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('DavProperties').where({ Owner: username }).delete();
    await trx('LoginCodes').where({ Username: username }).delete();
    await trx('Devices').where({ Username: username }).delete();
    await trx('LoginAttempts')
      .where({ ThrottleKey: `account:${username}` })
      .orWhere('ThrottleKey', 'like', `pair:${username}@%`)
      .delete();
    await UserRow.query(trx).findById(username).delete();
  });
}

export interface UserActivity extends UserRecord {
  /** The latest LastSeenAt of any of its devices (revoked ones too), or null if none was ever seen. */
  lastSeenAt: number | null;
  activeDevices: number;
}

/** Every account with when it was last used, oldest activity first (for the administrator's list). */
export async function listUserActivity(db: Knex): Promise<UserActivity[]> {
  const rows = (await db('Users')
    .leftJoin('Devices', 'Devices.Username', 'Users.Username')
    .groupBy('Users.Username', 'Users.Email', 'Users.Password', 'Users.DataServerId', 'Users.CreatedAt')
    .select('Users.Username', 'Users.Email', 'Users.Password', 'Users.DataServerId', 'Users.CreatedAt')
    .max({ LastSeenAt: 'Devices.LastSeenAt' })
    .select(
      db.raw('SUM(CASE WHEN ?? IS NOT NULL AND ?? IS NULL THEN 1 ELSE 0 END) AS ??', ['Devices.Id', 'Devices.RevokedAt', 'ActiveDevices']),
    )) as {
    Username: string;
    Email: string;
    Password: string;
    DataServerId: number;
    CreatedAt: number;
    LastSeenAt: number | null;
    ActiveDevices: number | string | null;
  }[];
  return rows
    .map((r) => ({
      username: r.Username,
      email: r.Email,
      passwordHash: r.Password,
      dataServerId: Number(r.DataServerId),
      createdAt: Number(r.CreatedAt),
      lastSeenAt: r.LastSeenAt === null ? null : Number(r.LastSeenAt),
      activeDevices: Number(r.ActiveDevices ?? 0),
    }))
    .sort((a, b) => (a.lastSeenAt ?? a.createdAt) - (b.lastSeenAt ?? b.createdAt));
}
