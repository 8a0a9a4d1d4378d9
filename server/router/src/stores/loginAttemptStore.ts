// Rows of LoginAttempts: failure counters and lockouts, one row per throttle key.
import type { Knex } from 'knex';
import { isSqlite } from '@mydropbox/server-common';
import { LoginAttemptRow } from './models';

export interface LoginAttemptRecord {
  key: string;
  failures: number;
  windowStartedAt: number;
  lockouts: number;
  lockedUntil: number;
}

function toRecord(row: LoginAttemptRow): LoginAttemptRecord {
  return {
    key: row.ThrottleKey,
    failures: Number(row.Failures),
    windowStartedAt: Number(row.WindowStartedAt),
    lockouts: Number(row.Lockouts),
    lockedUntil: Number(row.LockedUntil),
  };
}

export async function findLoginAttempts(db: Knex, keys: string[]): Promise<LoginAttemptRecord[]> {
  const rows = await LoginAttemptRow.query(db).whereIn('ThrottleKey', keys);
  return rows.map(toRecord);
}

/**
 * Reads a key's row under a row lock (creating it first), lets `change` compute the new state and
 * writes it, all in one transaction, so concurrent failures from several processes all count.
 */
export async function updateLoginAttempt(
  db: Knex,
  key: string,
  now: number,
  change: (current: LoginAttemptRecord) => Omit<LoginAttemptRecord, 'key'>,
): Promise<LoginAttemptRecord> {
  await db('LoginAttempts')
    .insert({ ThrottleKey: key, Failures: 0, WindowStartedAt: now, Lockouts: 0, LockedUntil: 0, UpdatedAt: now })
    .onConflict('ThrottleKey')
    .ignore();
  return db.transaction(async (trx) => {
    const query = LoginAttemptRow.query(trx).findById(key);
    const row = isSqlite(db) ? await query : await query.forUpdate();
    if (!row) throw new Error(`LoginAttempts row ${key} vanished`);
    const next = change(toRecord(row));
    await LoginAttemptRow.query(trx).findById(key).patch({
      Failures: next.failures,
      WindowStartedAt: next.windowStartedAt,
      Lockouts: next.lockouts,
      LockedUntil: next.lockedUntil,
      UpdatedAt: now,
    });
    return { key, ...next };
  });
}

export async function deleteLoginAttempt(db: Knex, key: string): Promise<void> {
  await LoginAttemptRow.query(db).findById(key).delete();
}

/** Removes rows last touched before `before`; their failures and lockouts no longer count. */
export async function deleteLoginAttemptsBefore(db: Knex, before: number): Promise<number> {
  return LoginAttemptRow.query(db).where('UpdatedAt', '<', before).delete();
}
