// The Files and FileBlocks rows of one data server: every SQL statement the data server runs lives here.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { FileEntry } from '@mydropbox/shared';

/** A Files row as the services see it (tombstones included where asked). */
export interface FileRow extends FileEntry {
  seq: number;
  deleted: boolean;
  /** Who wrote this content (or, on a tombstone, who deleted it); null when unknown. */
  device?: string | null;
}

/** Where a block the user already holds can be read: block `idx` of the live file `path` of `size` bytes. */
export interface BlockHolder {
  path: string;
  idx: number;
  size: number;
}

/** Why a live file's content stops being current (kept as a version's reason; see versions.ts). */
export type ReplaceReason = 'edit' | 'delete' | 'move' | 'restore';

export type RowWrite =
  | {
      kind: 'put';
      path: string;
      size: number;
      contentHash: string;
      modifiedAt: number;
      blocks: readonly string[];
      reason?: ReplaceReason;
      /** The executable bit; absent: what the path's live file had (false for a new file), so a door that cannot say keeps it. */
      executable?: boolean;
    }
  | { kind: 'delete'; path: string; modifiedAt: number; reason?: ReplaceReason };

/** Extras of one `apply`: who makes the change, and more rows written in the same transaction (kept versions). */
export interface ApplyOptions {
  device?: string | null;
  also?: (trx: Knex.Transaction) => Promise<void>;
}

export const EMPTY_CONTENT_HASH = createHash('sha256').digest('hex');

/** SQLite allows 32766 bound values per statement and MySQL 65535; stay well below both. */
const CHUNK = 500;

export function pathKey(path: string): string {
  return createHash('sha256').update(path, 'utf8').digest('hex');
}

interface RawRow {
  Filepath: string;
  Size: number | string;
  ContentHash: string;
  Rev: number | string;
  Seq: number | string;
  Deleted: number | boolean;
  ModifiedAt: number | string;
  Device?: string | null;
  Executable?: number | boolean;
}

const COLUMNS = ['Filepath', 'Size', 'ContentHash', 'Rev', 'Seq', 'Deleted', 'ModifiedAt', 'Device', 'Executable'];

function toRow(r: RawRow): FileRow {
  return {
    path: r.Filepath,
    size: Number(r.Size),
    contentHash: r.ContentHash,
    rev: Number(r.Rev),
    seq: Number(r.Seq),
    deleted: Boolean(Number(r.Deleted)),
    modifiedAt: Number(r.ModifiedAt),
    device: r.Device ?? null,
    ...(Number(r.Executable ?? 0) ? { executable: true } : {}),
  };
}

export function toEntry(row: FileRow): FileEntry {
  return {
    path: row.path,
    size: row.size,
    contentHash: row.contentHash,
    rev: row.rev,
    modifiedAt: row.modifiedAt,
    ...(row.device ? { device: row.device } : {}),
    ...(row.executable ? { executable: true } : {}),
  };
}

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class FilesRepository {
  constructor(private readonly db: Knex) {}

  /** The row of `path`, tombstone or live, or undefined if the path never existed. */
  async get(owner: string, path: string, trx: Knex = this.db): Promise<FileRow | undefined> {
    const r = (await trx('Files')
      .select(COLUMNS)
      .where({ Owner: owner, PathKey: pathKey(path) })
      .first()) as RawRow | undefined;
    return r ? toRow(r) : undefined;
  }

  /** The rows (tombstones included) of several paths, by path. */
  async getMany(owner: string, paths: readonly string[], trx: Knex = this.db): Promise<Map<string, FileRow>> {
    const out = new Map<string, FileRow>();
    for (const part of chunks([...new Set(paths)])) {
      const rows = (await trx('Files').select(COLUMNS).where({ Owner: owner }).whereIn('PathKey', part.map(pathKey))) as RawRow[];
      for (const r of rows) out.set(r.Filepath, toRow(r));
    }
    return out;
  }

  async getLive(owner: string, path: string): Promise<FileRow | undefined> {
    const row = await this.get(owner, path);
    return row && !row.deleted ? row : undefined;
  }

  /** Live rows for several paths at once (folder-collision checks ask for every ancestor). */
  async liveAmong(owner: string, paths: readonly string[]): Promise<FileRow[]> {
    const out: FileRow[] = [];
    for (const part of chunks(paths)) {
      const rows = (await this.db('Files')
        .select(COLUMNS)
        .where({ Owner: owner, Deleted: false })
        .whereIn('PathKey', part.map(pathKey))) as RawRow[];
      out.push(...rows.map(toRow));
    }
    return out;
  }

  /** Every user with at least one live file. */
  async owners(): Promise<string[]> {
    const rows = (await this.db('Files').distinct('Owner').where({ Deleted: false })) as { Owner: string }[];
    return rows.map((r) => r.Owner);
  }

  async listLive(owner: string): Promise<FileEntry[]> {
    const rows = (await this.db('Files').select(COLUMNS).where({ Owner: owner, Deleted: false })) as RawRow[];
    return rows.map((r) => toEntry(toRow(r))).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async usage(owner: string): Promise<{ usedBytes: number; fileCount: number }> {
    const r = (await this.db('Files').where({ Owner: owner, Deleted: false }).sum({ used: 'Size' }).count({ n: '*' }).first()) as
      { used: number | string | null; n: number | string } | undefined;
    return { usedBytes: Number(r?.used ?? 0), fileCount: Number(r?.n ?? 0) };
  }

  /** The newest change sequence number of a user (0 before the first change): files and folders share one series. */
  async maxSeq(owner: string, trx: Knex = this.db): Promise<number> {
    const newest = async (table: 'Files' | 'Folders') =>
      Number(((await trx(table).where({ Owner: owner }).max({ m: 'Seq' }).first()) as { m: number | string | null } | undefined)?.m ?? 0);
    return Math.max(await newest('Files'), await newest('Folders'));
  }

  async blocksOf(owner: string, path: string): Promise<string[]> {
    const rows = (await this.db('FileBlocks')
      .select('Hash')
      .where({ Owner: owner, PathKey: pathKey(path) })
      .orderBy('Idx')) as {
      Hash: string;
    }[];
    return rows.map((r) => r.Hash);
  }

  /** The blocks of several live paths, by path. */
  async blocksOfMany(owner: string, paths: readonly string[], trx: Knex = this.db): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const byKey = new Map(paths.map((p) => [pathKey(p), p]));
    for (const part of chunks([...byKey.keys()])) {
      const rows = (await trx('FileBlocks')
        .select('PathKey', 'Idx', 'Hash')
        .where({ Owner: owner })
        .whereIn('PathKey', part)
        .orderBy(['PathKey', 'Idx'])) as { PathKey: string; Idx: number | string; Hash: string }[];
      for (const r of rows) {
        const p = byKey.get(r.PathKey)!;
        const list = out.get(p) ?? [];
        list[Number(r.Idx)] = r.Hash;
        out.set(p, list);
      }
    }
    for (const p of paths) if (!out.has(p)) out.set(p, []);
    return out;
  }

  /** For each hash the user holds in a live file, up to `perHash` places to read it from. */
  async holders(owner: string, hashes: readonly string[], perHash = 3): Promise<Map<string, BlockHolder[]>> {
    const found = new Map<string, BlockHolder[]>();
    for (const part of chunks([...new Set(hashes)])) {
      const rows = (await this.db('FileBlocks as b')
        .join('Files as f', function joinLiveFile() {
          this.on('f.Owner', '=', 'b.Owner').andOn('f.PathKey', '=', 'b.PathKey');
        })
        .select('b.Hash as hash', 'b.Idx as idx', 'f.Filepath as path', 'f.Size as size')
        .where('b.Owner', owner)
        .andWhere('f.Deleted', false)
        .whereIn('b.Hash', part)) as { hash: string; idx: number | string; path: string; size: number | string }[];
      for (const r of rows) {
        const list = found.get(r.hash) ?? [];
        if (list.length < perHash) list.push({ path: r.path, idx: Number(r.idx), size: Number(r.size) });
        found.set(r.hash, list);
      }
    }
    return found;
  }

  /** Rows changed after `seq`, oldest first. */
  async changesSince(owner: string, seq: number, limit: number): Promise<FileRow[]> {
    const rows = (await this.db('Files')
      .select(COLUMNS)
      .where({ Owner: owner })
      .andWhere('Seq', '>', seq)
      .orderBy('Seq')
      .limit(limit)) as RawRow[];
    return rows.map(toRow);
  }

  /**
   * Writes several puts and deletes of one user in one transaction, each with the next revision of
   * its path and the next sequence numbers. The caller serialises writes per user. The rows are
   * read, inserted and their blocks replaced in a few statements per 500 paths, not per path.
   */
  async apply(owner: string, writes: readonly RowWrite[], opts: ApplyOptions = {}): Promise<FileRow[]> {
    return this.db.transaction(async (trx) => {
      let seq = await this.maxSeq(owner, trx);
      const current = await this.getMany(
        owner,
        writes.map((w) => w.path),
        trx,
      );
      const results: FileRow[] = [];
      const inserts: Record<string, unknown>[] = [];
      const updates: { key: string; values: Record<string, unknown> }[] = [];
      const blocksGone: string[] = [];
      const blockRows: { Owner: string; PathKey: string; Idx: number; Hash: string }[] = [];
      const inserted = new Set<string>();
      for (const w of writes) {
        const key = pathKey(w.path);
        const prev = current.get(w.path);
        seq += 1;
        const row: FileRow =
          w.kind === 'put'
            ? {
                path: w.path,
                size: w.size,
                contentHash: w.contentHash,
                rev: (prev?.rev ?? 0) + 1,
                seq,
                deleted: false,
                modifiedAt: w.modifiedAt,
                device: opts.device ?? null,
                ...((w.executable ?? (prev && !prev.deleted ? prev.executable : false)) ? { executable: true } : {}),
              }
            : {
                path: w.path,
                size: 0,
                contentHash: EMPTY_CONTENT_HASH,
                rev: (prev?.rev ?? 0) + 1,
                seq,
                deleted: true,
                modifiedAt: w.modifiedAt,
                device: opts.device ?? null,
              };
        const values = {
          Filepath: row.path,
          LastModified: new Date(row.modifiedAt).toISOString(),
          Size: row.size,
          ContentHash: row.contentHash,
          Rev: row.rev,
          Seq: row.seq,
          Deleted: row.deleted,
          ModifiedAt: row.modifiedAt,
          Device: row.device,
          Executable: row.executable === true,
        };
        if (!prev) {
          inserts.push({ Owner: owner, PathKey: key, ...values });
          inserted.add(key);
        } else if (inserted.has(key)) {
          // Written twice in one batch: the pending insert takes the later values.
          const pending = inserts.find((r) => r.PathKey === key)!;
          Object.assign(pending, values);
        } else updates.push({ key, values });
        if (prev && !prev.deleted) {
          blocksGone.push(key);
          for (let i = blockRows.length - 1; i >= 0; i--) if (blockRows[i]!.PathKey === key) blockRows.splice(i, 1);
        }
        if (w.kind === 'put') w.blocks.forEach((hash, idx) => blockRows.push({ Owner: owner, PathKey: key, Idx: idx, Hash: hash }));
        current.set(w.path, row);
        results.push(row);
      }
      for (const part of chunks([...new Set(blocksGone)]))
        await trx('FileBlocks').where({ Owner: owner }).whereIn('PathKey', part).delete();
      for (const part of chunks(inserts, 200)) await trx('Files').insert(part);
      for (const u of updates) await trx('Files').where({ Owner: owner, PathKey: u.key }).update(u.values);
      for (const part of chunks(blockRows)) await trx('FileBlocks').insert(part);
      await opts.also?.(trx);
      return results;
    });
  }
}
