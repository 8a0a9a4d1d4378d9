// Rows of DataServers, with how many users each one holds.
import type { Knex } from 'knex';
import { isSqlite } from '@mydropbox/server-common';
import { DataServerRow } from './models';

export interface DataServerRecord {
  id: number;
  host: string;
  port: number;
  capacityGb: number;
  available: boolean;
  users: number;
}

export interface DataServerWrite {
  id: number;
  host: string;
  port: number;
  capacityGb: number;
  /** Undefined keeps an existing row's flag (an admin's choice survives a restart) and means true for a new row. */
  available?: boolean;
}

function toRecord(row: DataServerRow & { UserCount?: number }): DataServerRecord {
  return {
    id: Number(row.ServerId),
    host: row.IpAddr,
    port: Number(row.ListeningPort),
    capacityGb: Number(row.MaxCapacity),
    available: Boolean(Number(row.Available)),
    users: Number(row.UserCount ?? 0),
  };
}

/**
 * All servers by ServerId with their user counts. With `lock` (inside a transaction) the rows are
 * locked first, so two sign-ups cannot both take a server's last free slot.
 */
export async function listDataServers(db: Knex | Knex.Transaction, lock = false): Promise<DataServerRecord[]> {
  if (lock && !isSqlite(db)) await DataServerRow.query(db).select('ServerId').forUpdate();
  const rows = await DataServerRow.query(db)
    .select('DataServers.*')
    .select(db.raw('(SELECT COUNT(*) FROM ?? WHERE ?? = ??) AS ??', ['Users', 'Users.DataServerId', 'DataServers.ServerId', 'UserCount']))
    .orderBy('ServerId');
  return rows.map((r) => toRecord(r as DataServerRow & { UserCount?: number }));
}

export async function findDataServer(db: Knex, id: number): Promise<DataServerRecord | undefined> {
  const row = await DataServerRow.query(db).findById(id);
  return row ? toRecord(row) : undefined;
}

export async function upsertDataServer(db: Knex, s: DataServerWrite): Promise<void> {
  const values = {
    MaxCapacity: s.capacityGb,
    IpAddr: s.host,
    ListeningPort: String(s.port),
    ...(s.available === undefined ? {} : { Available: s.available }),
  };
  await db.transaction(async (trx) => {
    const updated = await DataServerRow.query(trx).findById(s.id).patch(values);
    if (updated === 0) await DataServerRow.query(trx).insert({ ServerId: s.id, Available: true, ...values });
  });
}

export async function setDataServerAvailable(db: Knex, id: number, available: boolean): Promise<boolean> {
  const updated = await DataServerRow.query(db).findById(id).patch({ Available: available });
  return updated > 0;
}
