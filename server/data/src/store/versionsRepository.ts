// The Versions, VersionBlocks and VersionBlobs rows: kept versions of files, their blocks, and where those blocks' bytes are kept.
import type { Knex } from 'knex';
import type { ReplaceReason } from './filesRepository';
import { pathKey } from './filesRepository';

/** One kept version as the services see it. */
export interface VersionRow {
  id: string;
  owner: string;
  path: string;
  size: number;
  contentHash: string;
  rev: number;
  modifiedAt: number;
  replacedAt: number;
  device: string | null;
  reason: ReplaceReason;
  executable: boolean;
}

/** Where the bytes of one block a version needs are: `length` bytes at `offset` of a pack file. */
export interface BlobRow {
  hash: string;
  pack: string;
  offset: number;
  length: number;
}

/** A tombstone whose path has a kept version: a deleted file that can be restored. */
export interface DeletedRow {
  path: string;
  seq: number;
  deletedAt: number;
  device: string | null;
}

/** Rows one change adds: new versions, their blocks, and the blobs packed for them. */
export interface KeptRows {
  versions: VersionRow[];
  blocks: { versionId: string; hashes: readonly string[] }[];
  blobs: BlobRow[];
}

interface RawVersion {
  Id: string;
  Owner: string;
  Filepath: string;
  Size: number | string;
  ContentHash: string;
  Rev: number | string;
  ModifiedAt: number | string;
  ReplacedAt: number | string;
  Device: string | null;
  Reason: string;
  Executable?: number | boolean;
}

function toVersion(r: RawVersion): VersionRow {
  return {
    id: r.Id,
    owner: r.Owner,
    path: r.Filepath,
    size: Number(r.Size),
    contentHash: r.ContentHash,
    rev: Number(r.Rev),
    modifiedAt: Number(r.ModifiedAt),
    replacedAt: Number(r.ReplacedAt),
    device: r.Device ?? null,
    reason: r.Reason as ReplaceReason,
    executable: Boolean(Number(r.Executable ?? 0)),
  };
}

const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A LIKE pattern for the paths inside `dir` ('' = all); `!` escapes, as both SQLite and MariaDB accept it. */
function insidePattern(dir: string): string {
  return `${dir.replace(/[!%_]/g, (c) => `!${c}`)}/%`;
}

export class VersionsRepository {
  constructor(private readonly db: Knex) {}

  /** Adds the rows of kept versions inside the transaction that commits the change replacing them. */
  async insert(trx: Knex.Transaction, kept: KeptRows): Promise<void> {
    const versions = kept.versions.map((v) => ({
      Id: v.id,
      Owner: v.owner,
      PathKey: pathKey(v.path),
      Filepath: v.path,
      Size: v.size,
      ContentHash: v.contentHash,
      Rev: v.rev,
      ModifiedAt: v.modifiedAt,
      ReplacedAt: v.replacedAt,
      Device: v.device,
      Reason: v.reason,
      Executable: v.executable,
    }));
    const owner = kept.versions[0]?.owner;
    const blocks = kept.blocks.flatMap((b) =>
      b.hashes.map((hash, idx) => ({ VersionId: b.versionId, Idx: idx, Owner: owner, Hash: hash })),
    );
    const blobs = kept.blobs.map((b) => ({ Owner: owner, Hash: b.hash, Pack: b.pack, Offset: b.offset, Length: b.length }));
    for (const part of chunks(versions, 200)) await trx('Versions').insert(part);
    for (const part of chunks(blocks)) await trx('VersionBlocks').insert(part);
    for (const part of chunks(blobs)) await trx('VersionBlobs').insert(part);
  }

  /** The kept blobs among `hashes`, by hash. */
  async blobs(owner: string, hashes: readonly string[]): Promise<Map<string, BlobRow>> {
    const out = new Map<string, BlobRow>();
    for (const part of chunks([...new Set(hashes)])) {
      const rows = (await this.db('VersionBlobs')
        .select('Hash', 'Pack', 'Offset', 'Length')
        .where({ Owner: owner })
        .whereIn('Hash', part)) as {
        Hash: string;
        Pack: string;
        Offset: number | string;
        Length: number | string;
      }[];
      for (const r of rows) out.set(r.Hash, { hash: r.Hash, pack: r.Pack, offset: Number(r.Offset), length: Number(r.Length) });
    }
    return out;
  }

  async get(owner: string, id: string): Promise<VersionRow | undefined> {
    const r = (await this.db('Versions').where({ Owner: owner, Id: id }).first()) as RawVersion | undefined;
    return r ? toVersion(r) : undefined;
  }

  /** The kept versions of a path, newest first. */
  async ofPath(owner: string, path: string): Promise<VersionRow[]> {
    const rows = (await this.db('Versions')
      .where({ Owner: owner, PathKey: pathKey(path) })
      .orderBy([
        { column: 'ReplacedAt', order: 'desc' },
        { column: 'Rev', order: 'desc' },
      ])) as RawVersion[];
    return rows.map(toVersion);
  }

  /** The newest kept version of each path, by path. */
  async newestOf(owner: string, paths: readonly string[]): Promise<Map<string, VersionRow>> {
    const out = new Map<string, VersionRow>();
    for (const part of chunks([...new Set(paths)])) {
      const rows = (await this.db('Versions').where({ Owner: owner }).whereIn('PathKey', part.map(pathKey))) as RawVersion[];
      for (const v of rows.map(toVersion)) {
        const seen = out.get(v.path);
        if (!seen || v.replacedAt > seen.replacedAt || (v.replacedAt === seen.replacedAt && v.rev > seen.rev)) out.set(v.path, v);
      }
    }
    return out;
  }

  /** The blocks of several versions, by id. */
  async blocksOfMany(versionIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(versionIds.map((id) => [id, []]));
    for (const part of chunks([...new Set(versionIds)])) {
      const rows = (await this.db('VersionBlocks').select('VersionId', 'Idx', 'Hash').whereIn('VersionId', part)) as {
        VersionId: string;
        Idx: number | string;
        Hash: string;
      }[];
      for (const r of rows) out.get(r.VersionId)![Number(r.Idx)] = r.Hash;
    }
    return out;
  }

  async blocksOf(versionId: string): Promise<string[]> {
    const rows = (await this.db('VersionBlocks').select('Hash').where({ VersionId: versionId }).orderBy('Idx')) as { Hash: string }[];
    return rows.map((r) => r.Hash);
  }

  /**
   * Deleted paths (tombstones) inside `under` ('' = all) that have a kept version, newest deletion
   * first, after the change `beforeSeq` when given.
   */
  async deleted(owner: string, under: string, limit: number, beforeSeq?: number): Promise<DeletedRow[]> {
    let q = this.db('Files as f')
      .select('f.Filepath', 'f.Seq', 'f.ModifiedAt', 'f.Device')
      .where({ 'f.Owner': owner, 'f.Deleted': true })
      .whereExists(function hasVersion() {
        this.select(1).from('Versions as v').whereRaw('v.Owner = f.Owner and v.PathKey = f.PathKey');
      });
    if (under !== '') q = q.whereRaw('f.Filepath LIKE ? ESCAPE ?', [insidePattern(under), '!']);
    if (beforeSeq !== undefined) q = q.andWhere('f.Seq', '<', beforeSeq);
    const rows = (await q.orderBy('f.Seq', 'desc').limit(limit)) as {
      Filepath: string;
      Seq: number | string;
      ModifiedAt: number | string;
      Device: string | null;
    }[];
    return rows.map((r) => ({ path: r.Filepath, seq: Number(r.Seq), deletedAt: Number(r.ModifiedAt), device: r.Device ?? null }));
  }

  /** Owners with a version replaced before `cutoff`. */
  async ownersWithExpired(cutoff: number): Promise<string[]> {
    const rows = (await this.db('Versions').distinct('Owner').where('ReplacedAt', '<', cutoff)) as { Owner: string }[];
    return rows.map((r) => r.Owner);
  }

  /**
   * Removes a user's versions replaced before `cutoff`, their blocks, and the blobs no version needs
   * any more, in one transaction; the pack files go afterwards (see packsInUse).
   */
  async expire(owner: string, cutoff: number): Promise<number> {
    return this.db.transaction(async (trx) => {
      const ids = (
        (await trx('Versions').select('Id').where({ Owner: owner }).andWhere('ReplacedAt', '<', cutoff)) as { Id: string }[]
      ).map((r) => r.Id);
      for (const part of chunks(ids)) {
        await trx('VersionBlocks').whereIn('VersionId', part).delete();
        await trx('Versions').whereIn('Id', part).delete();
      }
      if (ids.length) {
        await trx('VersionBlobs')
          .where({ Owner: owner })
          .whereNotExists(function usedByAVersion() {
            this.select(1).from('VersionBlocks as vb').whereRaw('vb.Owner = VersionBlobs.Owner and vb.Hash = VersionBlobs.Hash');
          })
          .delete();
      }
      return ids.length;
    });
  }

  /** The pack files a user's blobs are in. */
  async packsInUse(owner: string): Promise<Set<string>> {
    const rows = (await this.db('VersionBlobs').distinct('Pack').where({ Owner: owner })) as { Pack: string }[];
    return new Set(rows.map((r) => r.Pack));
  }

  /** Every row of a user on this server: files, folders, versions. */
  async removeOwner(owner: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      for (const table of ['VersionBlobs', 'VersionBlocks', 'Versions', 'FileBlocks', 'Folders', 'Files']) {
        await trx(table).where({ Owner: owner }).delete();
      }
    });
  }
}
