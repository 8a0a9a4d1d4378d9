// Rows of Devices: signed-in clients, looked up by the SHA-256 of their token.
import type { Knex } from 'knex';
import type { DeviceKind } from '@mydropbox/shared';
import { DeviceRow } from './models';

export interface DeviceRecord {
  id: number;
  username: string;
  name: string;
  kind: DeviceKind;
  createdAt: number;
  lastSeenAt: number | null;
  revokedAt: number | null;
}

function toRecord(row: DeviceRow): DeviceRecord {
  return {
    id: Number(row.Id),
    username: row.Username,
    name: row.Name,
    kind: row.Kind as DeviceKind,
    createdAt: Number(row.CreatedAt),
    lastSeenAt: row.LastSeenAt === null ? null : Number(row.LastSeenAt),
    revokedAt: row.RevokedAt === null ? null : Number(row.RevokedAt),
  };
}

export async function insertDevice(
  db: Knex | Knex.Transaction,
  d: { username: string; name: string; kind: DeviceKind; tokenHash: string; now: number },
): Promise<DeviceRecord> {
  const row = await DeviceRow.query(db).insert({
    Username: d.username,
    Name: d.name,
    Kind: d.kind,
    TokenHash: d.tokenHash,
    CreatedAt: d.now,
    LastSeenAt: d.now,
    RevokedAt: null,
  });
  return toRecord(row);
}

/** The device holding this token hash, unless it was revoked. */
export async function findActiveDeviceByHash(db: Knex, tokenHash: string): Promise<DeviceRecord | undefined> {
  const row = await DeviceRow.query(db).findOne({ TokenHash: tokenHash }).whereNull('RevokedAt');
  return row ? toRecord(row) : undefined;
}

export async function touchDevice(db: Knex, id: number, now: number): Promise<void> {
  await DeviceRow.query(db).findById(id).patch({ LastSeenAt: now });
}

export async function listActiveDevices(db: Knex, username: string): Promise<DeviceRecord[]> {
  const rows = await DeviceRow.query(db).where({ Username: username }).whereNull('RevokedAt').orderBy('Id');
  return rows.map(toRecord);
}

/** Marks one of the user's devices revoked; false when there is no such active device. */
export async function revokeDevice(db: Knex, username: string, id: number, now: number): Promise<boolean> {
  const updated = await DeviceRow.query(db).where({ Id: id, Username: username }).whereNull('RevokedAt').patch({ RevokedAt: now });
  return updated > 0;
}

/** Ids of devices revoked after `since` (ms), for telling data servers to refuse their access tokens. */
export async function listRevokedDeviceIds(db: Knex, since: number): Promise<number[]> {
  const rows = await DeviceRow.query(db).select('Id').where('RevokedAt', '>', since);
  return rows.map((r) => Number(r.Id));
}

/** Revokes every active device of the user except `exceptId`, only those of `kinds` when given; returns their ids. */
export async function revokeOtherDevices(
  db: Knex | Knex.Transaction,
  username: string,
  exceptId: number | undefined,
  now: number,
  kinds?: readonly DeviceKind[],
): Promise<number[]> {
  let query = DeviceRow.query(db).select('Id').where({ Username: username }).whereNull('RevokedAt');
  if (exceptId !== undefined) query = query.whereNot('Id', exceptId);
  if (kinds) query = query.whereIn('Kind', [...kinds]);
  const ids = (await query).map((r) => Number(r.Id));
  if (ids.length > 0) await DeviceRow.query(db).whereIn('Id', ids).whereNull('RevokedAt').patch({ RevokedAt: now });
  return ids;
}
