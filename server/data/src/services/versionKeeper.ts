// Keeps what a path held before a change replaced it (a version), and purges versions past the retention period with the bytes no one needs.
import fs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { BLOCK_SIZE, blockLength } from '@mydropbox/shared';
import type { FileRow, FilesRepository, ReplaceReason } from '../store/filesRepository';
import type { BlobRow, KeptRows, VersionRow, VersionsRepository } from '../store/versionsRepository';
import type { VersionPacks } from '../store/versionPacks';
import type { UserFiles } from '../store/userFiles';
import { readFull } from '../store/fullIo';
import { crashPoint } from '../crashPoints';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** A live file whose content a change is about to replace, and why. */
export interface Replaced {
  row: FileRow;
  reason: ReplaceReason;
}

/** The versions one change keeps: packs already durable on disk, rows to add in the change's transaction. */
export interface KeepPlan {
  /** Adds the rows (pass as `also` to FilesRepository.apply). */
  insert(trx: Knex.Transaction): Promise<void>;
  readonly versions: number;
}

const NOTHING: KeepPlan = { insert: async () => undefined, versions: 0 };

/** Where a kept block's bytes are on disk. */
export interface KeptBlock {
  file: string;
  offset: number;
  length: number;
}

export interface KeeperDeps {
  files: FilesRepository;
  versions: VersionsRepository;
  packs: VersionPacks;
  disk: UserFiles;
  /** How long a replaced version is kept; 0: none are. */
  retentionMs: number;
  now?: () => number;
}

/**
 * Every block of a kept version stays on disk: in a live file of the user (as FileBlocks says) or as a
 * blob (bytes in a pack file, per user and hash). Every change that takes blocks off the live files
 * (overwrite, in-place patch, delete, move, restore) first keeps, as blobs, the ones that would be
 * left nowhere. So versions share blocks with live files and with each other: a 1 GiB file edited
 * in one block keeps one 4 MiB blob per edit, not a copy of the file.
 *
 * Crash order: a pack is durable before the rows naming it commit (a crash in between leaves a pack
 * no row names, which the purge sweeps), and the purge deletes rows before pack files (a crash in
 * between again leaves only unnamed packs). No row ever names bytes that are gone.
 */
export class VersionKeeper {
  private readonly now: () => number;

  constructor(private readonly d: KeeperDeps) {
    this.now = d.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.d.retentionMs > 0;
  }

  /**
   * Before a change renames over or removes live files: keeps their content as versions. A block
   * whose bytes stay on disk anyway (kept already, in a live file the change leaves alone, or in the
   * content the change puts in place: `incoming`) costs nothing; the others are kept by hard-linking
   * the old file as a pack when they are most of it (no copy), else copied into a small pack.
   * Called under the user's write lock, before the disk changes.
   */
  async preserve(owner: string, replaced: readonly Replaced[], incoming: Iterable<string> = []): Promise<KeepPlan> {
    if (!this.enabled || !replaced.length) return NOTHING;
    const paths = replaced.map((r) => r.row.path);
    const blocksByPath = await this.d.files.blocksOfMany(owner, paths);
    const held = await this.heldAfter(owner, [...blocksByPath.values()].flat(), new Set(paths), incoming);
    const rows: KeptRows = { versions: [], blocks: [], blobs: [] };
    let packed = false;
    for (const { row, reason } of replaced) {
      const blocks = blocksByPath.get(row.path) ?? [];
      const missing = firstOccurrences(blocks).filter((i) => !held.has(blocks[i]!));
      if (missing.length) {
        const missingBytes = missing.reduce((sum, i) => sum + blockLength(row.size, i), 0);
        const abs = this.d.disk.abs(owner, row.path);
        let blobs: BlobRow[] | undefined;
        if (missingBytes * 2 >= row.size) {
          const pack = await this.d.packs.link(owner, abs);
          blobs = pack
            ? missing.map((i) => ({ hash: blocks[i]!, pack, offset: i * BLOCK_SIZE, length: blockLength(row.size, i) }))
            : undefined;
        } else {
          const parts = await readBlocks(abs, row.size, missing);
          if (parts) {
            const { pack, offsets } = await this.d.packs.write(owner, parts);
            blobs = missing.map((i, k) => ({ hash: blocks[i]!, pack, offset: offsets[k]!, length: parts[k]!.length }));
          }
        }
        // The file is not on disk (a crash's leftover the start-up check reports): nothing to keep.
        if (!blobs) continue;
        packed = true;
        rows.blobs.push(...blobs);
        for (const b of blobs) held.add(b.hash);
      }
      this.addVersion(rows, owner, row, reason, blocks);
    }
    if (packed) await this.d.packs.syncDir(owner);
    return this.plan(rows);
  }

  /**
   * Before a live file is patched in place into `next` (its new blocks): keeps its content as a
   * version. The blocks left in place stay where they are; an overwritten block no one else holds is
   * copied aside from `before` (its old bytes, by block index) first. Undefined if one is missing there.
   */
  async preservePatched(
    owner: string,
    row: FileRow,
    blocks: readonly string[],
    next: readonly string[],
    before: ReadonlyMap<number, Buffer>,
  ): Promise<KeepPlan | undefined> {
    if (!this.enabled) return NOTHING;
    const held = await this.heldAfter(owner, blocks, new Set([row.path]), next);
    const missing = firstOccurrences(blocks).filter((i) => !held.has(blocks[i]!));
    if (missing.some((i) => !before.has(i))) return undefined;
    const rows: KeptRows = { versions: [], blocks: [], blobs: [] };
    if (missing.length) {
      const parts = missing.map((i) => before.get(i)!);
      const { pack, offsets } = await this.d.packs.write(owner, parts);
      await this.d.packs.syncDir(owner);
      rows.blobs.push(...missing.map((i, k) => ({ hash: blocks[i]!, pack, offset: offsets[k]!, length: parts[k]!.length })));
    }
    this.addVersion(rows, owner, row, 'edit', blocks);
    return this.plan(rows);
  }

  /**
   * The blocks among `hashes` whose bytes stay on disk after a change to the live files `changing`:
   * kept in a pack, in the content the change puts in place, or in a live file it leaves alone. A
   * block held only by live files is safe there: whatever later replaces that file keeps it first.
   */
  private async heldAfter(
    owner: string,
    hashes: readonly string[],
    changing: ReadonlySet<string>,
    incoming: Iterable<string>,
  ): Promise<Set<string>> {
    const held = new Set(incoming);
    const todo = [...new Set(hashes)].filter((h) => !held.has(h));
    for (const h of (await this.d.versions.blobs(owner, todo)).keys()) held.add(h);
    const rest = todo.filter((h) => !held.has(h));
    if (rest.length) {
      for (const [h, places] of await this.d.files.holders(owner, rest)) {
        if (places.some((p) => !changing.has(p.path))) held.add(h);
      }
    }
    return held;
  }

  /** Where kept blocks among `hashes` are (a restore builds from them; uploads need not send them again). */
  async locate(owner: string, hashes: readonly string[]): Promise<Map<string, KeptBlock>> {
    const out = new Map<string, KeptBlock>();
    if (!hashes.length) return out;
    for (const [hash, b] of await this.d.versions.blobs(owner, hashes)) {
      out.set(hash, { file: this.d.packs.file(owner, b.pack), offset: b.offset, length: b.length });
    }
    return out;
  }

  /**
   * Removes versions replaced longer ago than the retention period, then the packs no row names.
   * `lock` runs a section under the user's write lock (a change in flight may be adding a pack).
   */
  async purge(lock: <T>(owner: string, section: () => Promise<T>) => Promise<T>): Promise<{ versions: number; packs: number }> {
    const cutoff = this.now() - this.d.retentionMs;
    const owners = new Set([...(await this.d.versions.ownersWithExpired(cutoff)), ...(await this.d.packs.owners())]);
    let versions = 0;
    let packs = 0;
    for (const owner of owners) {
      await lock(owner, async () => {
        versions += await this.d.versions.expire(owner, cutoff);
        crashPoint('purge-after-rows');
        packs += await this.sweepPacks(owner);
      });
    }
    return { versions, packs };
  }

  /** Removes a user's packs no row names (left by a purge or a change cut short by a crash). */
  async sweepPacks(owner: string): Promise<number> {
    const inUse = await this.d.versions.packsInUse(owner);
    const unused = (await this.d.packs.list(owner)).filter((p) => !inUse.has(p));
    await this.d.packs.remove(owner, unused);
    return unused.length;
  }

  private addVersion(rows: KeptRows, owner: string, row: FileRow, reason: ReplaceReason, blocks: readonly string[]): void {
    const version: VersionRow = {
      id: randomBytes(16).toString('hex'),
      owner,
      path: row.path,
      size: row.size,
      contentHash: row.contentHash,
      rev: row.rev,
      modifiedAt: row.modifiedAt,
      replacedAt: this.now(),
      device: row.device ?? null,
      reason,
      executable: row.executable === true,
    };
    rows.versions.push(version);
    rows.blocks.push({ versionId: version.id, hashes: blocks });
  }

  private plan(rows: KeptRows): KeepPlan {
    if (!rows.versions.length) return NOTHING;
    return { insert: (trx) => this.d.versions.insert(trx, rows), versions: rows.versions.length };
  }
}

/** The index of the first occurrence of each distinct hash. */
function firstOccurrences(blocks: readonly string[]): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  blocks.forEach((h, i) => {
    if (!seen.has(h)) {
      seen.add(h);
      out.push(i);
    }
  });
  return out;
}

/** Blocks `indexes` of the file at `abs`; undefined if it is not there or shorter than its row. */
async function readBlocks(abs: string, size: number, indexes: readonly number[]): Promise<Buffer[] | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(abs, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw err;
  }
  try {
    const out: Buffer[] = [];
    for (const i of indexes) {
      const buf = Buffer.allocUnsafe(blockLength(size, i));
      if ((await readFull(handle, buf, buf.length, i * BLOCK_SIZE)) !== buf.length) return undefined;
      out.push(buf);
    }
    return out;
  } finally {
    await handle.close();
  }
}
