// Version history as people use it: a file's versions, the deleted files, a version's bytes, and restoring one file or a whole folder.
import type { DeletedResponse, RestoreFolderResponse, RestoreResponse, VersionEntry, VersionsResponse } from '@mydropbox/shared';
import { COMMIT_BATCH_MAX, MAX_SEGMENT_BYTES, MyDropboxError, baseName, isInside, parentPath } from '@mydropbox/shared';
import { FilesRepository, toEntry } from '../store/filesRepository';
import type { VersionRow, VersionsRepository } from '../store/versionsRepository';
import type { VersionPacks } from '../store/versionPacks';
import type { UserFiles } from '../store/userFiles';
import type { FileWrites } from './fileWrites';
import type { Assembler } from './assembler';
import type { KeyedMutex } from './keyedMutex';

export interface HistoryDeps {
  files: FilesRepository;
  versions: VersionsRepository;
  packs: VersionPacks;
  disk: UserFiles;
  writes: FileWrites;
  assembler: Assembler;
  /** Held while a change puts bytes in place and commits its rows: a block read under it finds the bytes its rows name. */
  publishLock: KeyedMutex;
}

/** "name (restored).ext", then "name (restored 2).ext", … are tried; past this many the restore is refused. */
const MAX_BESIDE = 1000;
const DELETED_PAGE_MAX = 1000;

/** A version's content: its row and its blocks, in order. */
export interface VersionContent {
  version: VersionRow;
  blocks: string[];
}

function toVersionEntry(v: VersionRow): VersionEntry {
  return {
    id: v.id,
    path: v.path,
    size: v.size,
    contentHash: v.contentHash,
    rev: v.rev,
    modifiedAt: v.modifiedAt,
    replacedAt: v.replacedAt,
    device: v.device,
    reason: v.reason,
    ...(v.executable ? { executable: true } : {}),
  };
}

/** The name a restore takes beside a taken path: the n-th "(restored)" before the extension. */
export function besideName(path: string, n: number): string {
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const tag = n === 1 ? ' (restored)' : ` (restored ${n})`;
  let cut = stem;
  while (Buffer.byteLength(cut + tag + ext) > MAX_SEGMENT_BYTES) cut = [...cut].slice(0, -1).join('');
  const parent = parentPath(path);
  return `${parent ? `${parent}/` : ''}${cut}${tag}${ext}`;
}

export class History {
  constructor(private readonly d: HistoryDeps) {}

  async versions(owner: string, path: string): Promise<VersionsResponse> {
    const [row, versions] = await Promise.all([this.d.files.get(owner, path), this.d.versions.ofPath(owner, path)]);
    if (!row && !versions.length) throw new MyDropboxError('not_found', `There is no file "${path}" and no version of one.`);
    return { path, current: row && !row.deleted ? toEntry(row) : null, versions: versions.map(toVersionEntry) };
  }

  async deleted(owner: string, under: string, limit: number, before?: string): Promise<DeletedResponse> {
    const beforeSeq = before === undefined ? undefined : parseCursor(before);
    const take = Math.min(Math.max(limit, 1), DELETED_PAGE_MAX);
    // LIKE is case-blind in SQLite: the exact containment check is made here.
    const rows = (await this.d.versions.deleted(owner, under, take, beforeSeq)).filter((r) => under === '' || isInside(r.path, under));
    const newest = await this.d.versions.newestOf(
      owner,
      rows.map((r) => r.path),
    );
    // A path moved or renamed away was not deleted: its content lives on elsewhere (its versions still list it).
    const deleted = rows.flatMap((r) => {
      const v = newest.get(r.path);
      return v && v.reason !== 'move'
        ? [{ path: r.path, size: v.size, deletedAt: r.deletedAt, device: r.device, versionId: v.id, contentHash: v.contentHash }]
        : [];
    });
    return rows.length === take ? { deleted, next: String(rows[rows.length - 1]!.seq) } : { deleted };
  }

  /** A kept version's row and its blocks; 404 for an id that is not this user's. */
  async content(owner: string, id: string): Promise<VersionContent> {
    const version = await this.d.versions.get(owner, id);
    if (!version) throw notFoundVersion();
    return { version, blocks: await this.d.versions.blocksOf(id) };
  }

  /** One block of a version, wherever it is kept now (a live file, a pack), checked against its hash. */
  readBlock(owner: string, hash: string): Promise<Buffer> {
    return this.d.publishLock.run(owner, () => this.d.assembler.readBlock(owner, hash));
  }

  /**
   * Makes a kept version current. With `versionId`, that version of `path` replaces what is there (kept
   * as a version itself); without, the newest version of a deleted path comes back, beside the path
   * ("name (restored).ext") when something else took it meanwhile.
   */
  async restore(owner: string, path: string, versionId?: string): Promise<RestoreResponse> {
    const version =
      versionId === undefined ? (await this.d.versions.newestOf(owner, [path])).get(path) : await this.d.versions.get(owner, versionId);
    if (!version || version.path !== path) {
      throw versionId === undefined ? new MyDropboxError('not_found', `No deleted version of "${path}" is kept.`) : notFoundVersion();
    }
    const blocks = await this.d.versions.blocksOf(version.id);
    const { path: restoredTo, file } = await this.d.writes.restore(
      owner,
      { size: version.size, blocks, contentHash: version.contentHash, executable: version.executable },
      async () => {
        const current = await this.d.files.getLive(owner, path);
        if (!current) return { path };
        if (versionId !== undefined) return { path, current, unchanged: current.contentHash === version.contentHash };
        return { path: await this.freeBeside(owner, path) };
      },
    );
    return { file, restoredTo };
  }

  /**
   * Restores every deleted file with a kept version under `dir` ('' = all), newest deletion first; each
   * beside its path if taken. Paths moved away are left out: their content is live elsewhere.
   */
  async restoreFolder(owner: string, dir: string): Promise<RestoreFolderResponse> {
    const paths: string[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await this.d.versions.deleted(owner, dir, DELETED_PAGE_MAX, before);
      const inside = page.filter((r) => dir === '' || isInside(r.path, dir));
      const newest = await this.d.versions.newestOf(
        owner,
        inside.map((r) => r.path),
      );
      paths.push(...inside.filter((r) => newest.get(r.path)?.reason !== 'move').map((r) => r.path));
      if (page.length < DELETED_PAGE_MAX) break;
      before = page[page.length - 1]!.seq;
    }
    const files: RestoreResponse[] = [];
    const retry: string[] = [];
    // Many at once as one batch commit (one transaction, folders fsynced once); a file the batch
    // refuses (its path taken meanwhile, two names meeting) is restored on its own after.
    for (let i = 0; i < paths.length; i += COMMIT_BATCH_MAX) {
      const part = paths.slice(i, i + COMMIT_BATCH_MAX);
      const newest = await this.d.versions.newestOf(owner, part);
      const blocks = await this.d.versions.blocksOfMany([...newest.values()].map((v) => v.id));
      const taken = new Set((await this.d.files.liveAmong(owner, part)).map((r) => r.path));
      const targets: { from: string; to: string; version: VersionRow }[] = [];
      for (const p of part) {
        const version = newest.get(p);
        if (version) targets.push({ from: p, to: taken.has(p) ? await this.freeBeside(owner, p) : p, version });
      }
      if (!targets.length) continue;
      const results = await this.d.writes.commitBatch(
        owner,
        targets.map((t) => ({
          path: t.to,
          size: t.version.size,
          blocks: blocks.get(t.version.id)!,
          baseRev: null,
          executable: t.version.executable,
        })),
      );
      results.forEach((r, k) => {
        if ('file' in r) files.push({ file: r.file, restoredTo: targets[k]!.to });
        else retry.push(targets[k]!.from);
      });
    }
    for (const p of retry) {
      try {
        files.push(await this.restore(owner, p));
      } catch (err) {
        // One file that cannot come back (a file now where its folder was, the quota) does not stop the rest.
        if (!(err instanceof MyDropboxError) || err.code === 'internal') throw err;
      }
    }
    return { restored: files.length, files };
  }

  private async freeBeside(owner: string, path: string): Promise<string> {
    for (let n = 1; n <= MAX_BESIDE; n++) {
      const candidate = besideName(path, n);
      if (!(await this.d.files.getLive(owner, candidate)) && (await this.d.disk.kind(owner, candidate)) === 'none') return candidate;
    }
    throw new MyDropboxError('conflict', `"${path}" and ${MAX_BESIDE} restored copies beside it are taken; rename some first.`);
  }
}

function parseCursor(before: string): number {
  if (!/^[0-9]{1,15}$/.test(before)) throw new MyDropboxError('invalid_request', '"before" must be the "next" of an earlier page.');
  return Number(before);
}

function notFoundVersion(): MyDropboxError {
  return new MyDropboxError('not_found', 'There is no such version (it may have expired).');
}
