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
