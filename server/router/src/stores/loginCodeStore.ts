// Rows of LoginCodes: one-time sign-in codes, kept only as hashes.
import type { Knex } from 'knex';
import { LoginCodeRow } from './models';

export async function insertLoginCode(db: Knex, c: { codeHash: string; username: string; now: number; expiresAt: number }): Promise<void> {
  await LoginCodeRow.query(db).insert({
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
  const updated = await LoginCodeRow.query(db)
    .where({ CodeHash: codeHash })
    .whereNull('UsedAt')
    .where('ExpiresAt', '>', now)
    .patch({ UsedAt: now });
  if (updated !== 1) return undefined;
  const row = await LoginCodeRow.query(db).findById(codeHash);
  return row?.Username;
}

/** Drops codes that expired more than a day ago; they can never be redeemed. */
export async function deleteOldLoginCodes(db: Knex, now: number): Promise<number> {
  return LoginCodeRow.query(db)
    .where('ExpiresAt', '<', now - 24 * 3600_000)
    .delete();
}
