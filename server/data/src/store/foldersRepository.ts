// The Folders rows of one data server: explicit folders, each keyed like Files by (Owner, PathKey), in the change feed by Seq (a removed one stays as a tombstone).
import type { Knex } from 'knex';
import type { FolderEntry } from '@mydropbox/shared';
import type { FilesRepository } from './filesRepository';
import { pathKey } from './filesRepository';

interface RawFolder {
  Folderpath: string;
  CreatedAt: number | string;
}

/** A folder's change: made (or made again) or removed, at `seq` in the user's one series with Files. */
export interface FolderChangeRow {
  path: string;
  deleted: boolean;
  seq: number;
  createdAt: number;
}

const CHUNK = 500;

function toEntry(r: RawFolder): FolderEntry {
  return { path: r.Folderpath, createdAt: Number(r.CreatedAt) };
}

export class FoldersRepository {
  /** `files` gives the newest sequence number of both tables; callers hold the user's write lock, as for files. */
  constructor(
    private readonly db: Knex,
    private readonly files: FilesRepository,
  ) {}

  async get(owner: string, path: string): Promise<FolderEntry | undefined> {
    const r = (await this.db('Folders')
      .select('Folderpath', 'CreatedAt')
      .where({ Owner: owner, PathKey: pathKey(path), Deleted: false })
      .first()) as RawFolder | undefined;
    return r ? toEntry(r) : undefined;
  }

  async list(owner: string): Promise<FolderEntry[]> {
    const rows = (await this.db('Folders').select('Folderpath', 'CreatedAt').where({ Owner: owner, Deleted: false })) as RawFolder[];
    return rows.map(toEntry).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Adds the folders that are not there yet (a tombstone comes back to life); existing ones keep their creation time. Returns how many changed. */
  async addMissing(owner: string, paths: readonly string[], createdAt: number): Promise<number> {
    return this.changeInChunks(owner, paths, async (trx, part, nextSeq) => {
      const rows = (await trx('Folders').select('PathKey', 'Deleted').where({ Owner: owner }).whereIn('PathKey', part.map(pathKey))) as {
        PathKey: string;
        Deleted: number | boolean;
      }[];
      const state = new Map(rows.map((r) => [r.PathKey, Boolean(r.Deleted)]));
      const fresh: Record<string, unknown>[] = [];
      for (const p of part) {
        const key = pathKey(p);
        if (state.get(key) === false) continue;
        const seq = nextSeq();
        if (state.has(key)) {
          await trx('Folders')
            .where({ Owner: owner, PathKey: key })
            .update({ Folderpath: p, CreatedAt: createdAt, Seq: seq, Deleted: false });
        } else fresh.push({ Owner: owner, PathKey: key, Folderpath: p, CreatedAt: createdAt, Seq: seq, Deleted: false });
      }
      if (fresh.length) await trx('Folders').insert(fresh);
    });
  }

  /** Marks the folders removed (tombstones the change feed carries); ones not there are skipped. Returns how many changed. */
  async remove(owner: string, paths: readonly string[]): Promise<number> {
    return this.changeInChunks(owner, paths, async (trx, part, nextSeq) => {
      const live: { PathKey: string }[] = await trx('Folders')
        .select('PathKey')
        .where({ Owner: owner, Deleted: false })
        .whereIn('PathKey', part.map(pathKey));
      for (const { PathKey } of live) await trx('Folders').where({ Owner: owner, PathKey }).update({ Seq: nextSeq(), Deleted: true });
    });
  }

  /**
   * Runs `change` over the distinct `paths`, CHUNK at a time, in one transaction; each row it changes takes the
   * user's next sequence number from `nextSeq`. Returns how many rows changed.
   */
  private async changeInChunks(
    owner: string,
    paths: readonly string[],
    change: (trx: Knex.Transaction, part: string[], nextSeq: () => number) => Promise<void>,
  ): Promise<number> {
    const distinct = [...new Set(paths)];
    if (distinct.length === 0) return 0;
    return this.db.transaction(async (trx) => {
      let seq = await this.files.maxSeq(owner, trx);
      let changed = 0;
      const nextSeq = () => {
        changed += 1;
        return ++seq;
      };
      for (let i = 0; i < distinct.length; i += CHUNK) await change(trx, distinct.slice(i, i + CHUNK), nextSeq);
      return changed;
    });
  }

  /** Folder changes after `seq`, oldest first. */
  async changesSince(owner: string, seq: number, limit: number): Promise<FolderChangeRow[]> {
    const rows = (await this.db('Folders')
      .select('Folderpath', 'CreatedAt', 'Seq', 'Deleted')
      .where({ Owner: owner })
      .andWhere('Seq', '>', seq)
      .orderBy('Seq')
      .limit(limit)) as (RawFolder & { Seq: number | string; Deleted: number | boolean })[];
    return rows.map((r) => ({ path: r.Folderpath, createdAt: Number(r.CreatedAt), seq: Number(r.Seq), deleted: Boolean(r.Deleted) }));
  }
}
