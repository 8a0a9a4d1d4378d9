// Rows of LoginCodes: one-time sign-in codes, kept only as hashes.
import type { Knex } from 'knex';
import { DeviceRow, LoginCodeRow } from './models';

export async function insertLoginCode(
  db: Knex,
  c: { codeHash: string; username: string; now: number; expiresAt: number; deviceId?: number },
): Promise<void> {
  // One live code per session: the page's earlier, unused code goes (reloading the page cannot pile codes up).
  if (c.deviceId !== undefined) await LoginCodeRow.query(db).where({ DeviceId: c.deviceId }).whereNull('UsedAt').delete();
  await LoginCodeRow.query(db).insert({
    DeviceId: c.deviceId ?? null,
    CodeHash: c.codeHash,
    Username: c.username,
    CreatedAt: c.now,
    ExpiresAt: c.expiresAt,
    UsedAt: null,
  });
}

/**
 * Marks the code used and returns its username, in one conditional UPDATE so two processes
 * redeeming the same code cannot both win. Undefined when unknown, used or expired.
 */
export async function consumeLoginCode(db: Knex | Knex.Transaction, codeHash: string, now: number): Promise<string | undefined> {
  const updated = await liveCodes(db, codeHash, now).patch({ UsedAt: now });
  if (updated !== 1) return undefined;
  const row = await LoginCodeRow.query(db).findById(codeHash);
  return row?.Username;
}

/** The username of a code that could be redeemed now, without using it up. */
export async function peekLoginCode(db: Knex, codeHash: string, now: number): Promise<string | undefined> {
  const row = await liveCodes(db, codeHash, now).first();
  return row?.Username;
}

/** Unused, unexpired, and (for a code made by a browser session) that session still signed in. */
function liveCodes(db: Knex | Knex.Transaction, codeHash: string, now: number) {
  return LoginCodeRow.query(db)
    .where({ CodeHash: codeHash })
    .whereNull('UsedAt')
    .where('ExpiresAt', '>', now)
    .where((q) =>
      q.whereNull('DeviceId').orWhereExists(DeviceRow.query(db).whereColumn('Devices.Id', 'LoginCodes.DeviceId').whereNull('RevokedAt')),
    );
}

/** Drops codes that expired more than a day ago; they can never be redeemed. */
export async function deleteOldLoginCodes(db: Knex, now: number): Promise<number> {
  return LoginCodeRow.query(db)
    .where('ExpiresAt', '<', now - 24 * 3600_000)
    .delete();
}
