// Rows of ShareLinks: read-only links, looked up by the SHA-256 of their token.
import type { Knex } from 'knex';
import { ShareLinkRow } from './models';

export interface ShareLinkRecord {
  id: number;
  username: string;
  path: string;
  kind: 'file' | 'folder';
  passwordHash: string | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  downloads: number;
}

function toRecord(row: ShareLinkRow): ShareLinkRecord {
  return {
    id: Number(row.Id),
    username: row.Username,
    path: row.Path,
    kind: row.Kind === 'folder' ? 'folder' : 'file',
    passwordHash: row.PasswordHash,
    createdAt: Number(row.CreatedAt),
    expiresAt: row.ExpiresAt === null ? null : Number(row.ExpiresAt),
    revokedAt: row.RevokedAt === null ? null : Number(row.RevokedAt),
    downloads: Number(row.Downloads),
  };
}

export async function insertShareLink(
  db: Knex,
  s: {
    username: string;
    tokenHash: string;
    path: string;
    kind: 'file' | 'folder';
    passwordHash: string | null;
    now: number;
    expiresAt: number | null;
  },
): Promise<ShareLinkRecord> {
  const row = await ShareLinkRow.query(db).insert({
    Username: s.username,
    TokenHash: s.tokenHash,
    Path: s.path,
    Kind: s.kind,
    PasswordHash: s.passwordHash,
    CreatedAt: s.now,
    ExpiresAt: s.expiresAt,
    RevokedAt: null,
    Downloads: 0,
  });
  return toRecord(row);
}

/** The link holding this token hash, unless it was revoked (expired ones are returned: they answer 410). */
export async function findLiveShareLinkByHash(db: Knex, tokenHash: string): Promise<ShareLinkRecord | undefined> {
  const row = await ShareLinkRow.query(db).findOne({ TokenHash: tokenHash }).whereNull('RevokedAt');
  return row ? toRecord(row) : undefined;
}

export async function listLiveShareLinks(db: Knex, username: string): Promise<ShareLinkRecord[]> {
  const rows = await ShareLinkRow.query(db).where({ Username: username }).whereNull('RevokedAt').orderBy('Id', 'desc');
  return rows.map(toRecord);
}

/** Marks one of the user's links revoked; false when there is no such live link. */
export async function revokeShareLink(db: Knex, username: string, id: number, now: number): Promise<boolean> {
  const updated = await ShareLinkRow.query(db).where({ Id: id, Username: username }).whereNull('RevokedAt').patch({ RevokedAt: now });
  return updated === 1;
}

export async function countShareDownload(db: Knex, id: number): Promise<void> {
  await ShareLinkRow.query(db).findById(id).increment('Downloads', 1);
}
