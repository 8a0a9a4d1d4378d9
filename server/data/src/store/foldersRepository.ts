// The Folders rows of one data server: explicit folders, each keyed like Files by (Owner, PathKey).
import type { Knex } from 'knex';
import type { FolderEntry } from '@mydropbox/shared';
import { pathKey } from './filesRepository';

interface RawFolder {
  Folderpath: string;
  CreatedAt: number | string;
}

const CHUNK = 500;

function toEntry(r: RawFolder): FolderEntry {
  return { path: r.Folderpath, createdAt: Number(r.CreatedAt) };
}

export class FoldersRepository {
  constructor(private readonly db: Knex) {}

  async get(owner: string, path: string): Promise<FolderEntry | undefined> {
    const r = (await this.db('Folders')
      .select('Folderpath', 'CreatedAt')
      .where({ Owner: owner, PathKey: pathKey(path) })
      .first()) as RawFolder | undefined;
    return r ? toEntry(r) : undefined;
  }

  async list(owner: string): Promise<FolderEntry[]> {
    const rows = (await this.db('Folders').select('Folderpath', 'CreatedAt').where({ Owner: owner })) as RawFolder[];
    return rows.map(toEntry).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Adds the folders that are not there yet; existing ones keep their creation time. */
  async addMissing(owner: string, paths: readonly string[], createdAt: number): Promise<void> {
    paths = [...new Set(paths)];
    if (paths.length === 0) return;
    await this.db.transaction(async (trx) => {
      for (let i = 0; i < paths.length; i += CHUNK) {
        const part = paths.slice(i, i + CHUNK);
        const keys = part.map(pathKey);
        const present = new Set(
          ((await trx('Folders').select('PathKey').where({ Owner: owner }).whereIn('PathKey', keys)) as { PathKey: string }[]).map(
            (r) => r.PathKey,
          ),
        );
        const rows = part
          .filter((p) => !present.has(pathKey(p)))
          .map((p) => ({ Owner: owner, PathKey: pathKey(p), Folderpath: p, CreatedAt: createdAt }));
        if (rows.length) await trx('Folders').insert(rows);
      }
    });
  }

  async remove(owner: string, paths: readonly string[]): Promise<void> {
    for (let i = 0; i < paths.length; i += CHUNK) {
      await this.db('Folders')
        .where({ Owner: owner })
        .whereIn('PathKey', paths.slice(i, i + CHUNK).map(pathKey))
        .delete();
    }
  }
}
