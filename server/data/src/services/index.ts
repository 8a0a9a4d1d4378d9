// Wires the data server's stores and services together from a database, a storage root and a quota.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Logger } from '@mydropbox/server-common';
import { FilesRepository } from '../store/filesRepository';
import { UserFiles } from '../store/userFiles';
import { BlockStaging } from '../store/blockStaging';
import { Assembler } from './assembler';
import { ChangeFeed } from './changeFeed';
import { FileReads } from './fileReads';
import { FileWrites } from './fileWrites';
import { BlockUploads } from './blockUploads';
import { KeyedMutex } from './keyedMutex';
import { Quota } from './quota';
import { PublishedHere } from '../store/publishedHere';
import { OpenReads } from '../store/openReads';
import { UploadSessions } from './uploadSessions';
import { HashPool } from './hashPool';
import { Folders } from './folders';
import { FoldersRepository } from '../store/foldersRepository';
import { WriteJournal, type RecoveryTarget } from '../store/writeJournal';
import { checkConsistency, type ConsistencyReport } from './consistencyCheck';
import { VersionsRepository } from '../store/versionsRepository';
import { VersionPacks } from '../store/versionPacks';
import { DAY_MS, VersionKeeper } from './versionKeeper';
import { History } from './history';
import { removeAccount } from './accountRemoval';

/** Staged blocks no commit used within a day are debris from abandoned uploads. */
export const STAGING_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Replaced and deleted files are kept this long unless the server is told otherwise (VERSION_RETENTION_DAYS). */
export const DEFAULT_VERSION_RETENTION_DAYS = 30;

export interface DataServices {
  serverId: number;
  reads: FileReads;
  writes: FileWrites;
  uploads: BlockUploads;
  /** Big files written block by block into their commit's temp file. */
  sessions: UploadSessions;
  feed: ChangeFeed;
  /** Explicit folders and whole-folder operations (WebDAV). */
  folders: Folders;
  /** Versions, deleted files, restores. */
  history: History;
  /** Removes versions past the retention period and the bytes no version needs any more. */
  purge(): Promise<{ versions: number; packs: number }>;
  /** Everything of one user on this server (DELETE /v1/account). */
  removeAccount(owner: string): Promise<void>;
  /** Replays write journals left by a crash, removes temp files and stale staged blocks; run before serving. */
  sweep(): Promise<{ tempFiles: number; stagedBlocks: number; journals: number; check: ConsistencyReport }>;
  /** The full check of rows against files, with content hashes (`fsck`); `repair` only with nothing else writing. */
  fsck(repair: boolean): Promise<ConsistencyReport>;
  /** The storage disk's free and total bytes, and whether it is too full to take new users. */
  space(): Promise<DiskSpace>;
  /** Stops background work; waits for the write journal's checkpoints. */
  close(): Promise<void>;
}

export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
  /** Free space is below the server's minimum: it takes no new users (existing ones go on, until writes fail with insufficient_storage). */
  nearlyFull: boolean;
}

export interface DataServicesDeps {
  db: Knex;
  root: string;
  serverId: number;
  quotaBytes: number;
  log: Logger;
  /** Below this much free disk the server asks the router for no new users (default: 5% of the disk). */
  minFreeBytes?: number;
  /** Days a replaced or deleted file's content is kept (fractions allowed); 0 keeps none. */
  versionRetentionDays?: number;
  /** The clock of version history (tests move it forward to expire versions). */
  now?: () => number;
}

export function createDataServices(deps: DataServicesDeps): DataServices {
  const files = new FilesRepository(deps.db);
  const disk = new UserFiles(deps.root, deps.serverId);
  const staging = new BlockStaging(deps.root, deps.serverId);
  const folderRows = new FoldersRepository(deps.db, files);
  const feed = new ChangeFeed(files, folderRows);
  const quota = new Quota(files, staging, deps.quotaBytes);
  const publishLock = new KeyedMutex();
  const published = new PublishedHere();
  const versionRows = new VersionsRepository(deps.db);
  const packs = new VersionPacks(disk.base);
  const keeper = new VersionKeeper({
    files,
    versions: versionRows,
    packs,
    disk,
    retentionMs: (deps.versionRetentionDays ?? DEFAULT_VERSION_RETENTION_DAYS) * DAY_MS,
    now: deps.now,
  });
  const assembler = new Assembler(files, disk, staging, published, keeper);
  const hashes = new HashPool();
  const sessions = new UploadSessions(disk, quota, hashes);
  const journal = new WriteJournal(path.join(disk.base, '.journal'));
  const openReads = new OpenReads();
  const writes = new FileWrites({
    files,
    disk,
    staging,
    assembler,
    feed,
    quota,
    publishLock,
    sessions,
    published,
    journal,
    openReads,
    versions: keeper,
  });
  return {
    serverId: deps.serverId,
    reads: new FileReads({ files, disk, staging, feed, publishLock, openReads, quotaBytes: deps.quotaBytes, kept: keeper }),
    writes,
    folders: new Folders({ files, folders: folderRows, writes, quota, feed }),
    uploads: new BlockUploads(staging, quota, assembler),
    sessions,
    feed,
    history: new History({ files, versions: versionRows, packs, disk, writes, assembler, publishLock }),
    purge: () => keeper.purge((owner, section) => writes.locked(owner, section)),
    removeAccount: (owner) => removeAccount({ versions: versionRows, packs, disk, staging, writes, feed }, owner),
    async sweep() {
      // Journals first: a publish record finishes a rename from the temp folder the sweep then empties.
      await fs.mkdir(disk.tmpDir, { recursive: true });
      const recovered = await journal.recover(recoveryTarget(files, disk));
      const tempFiles = await disk.sweepTemp();
      if (recovered.journals) deps.log.warn(recovered, 'replayed write journals left by a crash');
      const stagedBlocks = await staging.sweep(STAGING_MAX_AGE_MS);
      // Packs no row names: left by a change or a purge cut short (nothing else runs yet).
      for (const owner of await packs.owners()) await keeper.sweepPacks(owner);
      if (tempFiles || stagedBlocks) deps.log.info({ tempFiles, stagedBlocks }, 'removed leftovers of interrupted uploads');
      const check = await checkConsistency({ files, disk, assembler }, { hashes: false, repair: true });
      reportConsistency(deps.log, check, 'start-up check');
      return { tempFiles, stagedBlocks, journals: recovered.journals, check };
    },
    async space() {
      const st = await fs.statfs(disk.base);
      const totalBytes = st.blocks * st.bsize;
      const freeBytes = st.bavail * st.bsize;
      return { freeBytes, totalBytes, nearlyFull: freeBytes < (deps.minFreeBytes ?? totalBytes * 0.05) };
    },
    async fsck(repair) {
      const report = await checkConsistency({ files, disk, assembler }, { hashes: true, repair });
      reportConsistency(deps.log, report, 'fsck');
      return report;
    },
    async close() {
      feed.close();
      await Promise.all([sessions.closeAll(), journal.drain()]);
      await hashes.close();
    },
  };
}

/** One log line for a clean check; a warning for orphans and repairs; an error naming every file still wrong. */
function reportConsistency(log: Logger, r: ConsistencyReport, what: string): void {
  if (r.damaged.length) {
    log.error(
      { rows: r.rows, damaged: r.damaged, orphansRemoved: r.orphans.length, repaired: r.repaired },
      `${what}: ${r.damaged.length} files differ from their rows and could not be rebuilt from blocks held elsewhere; their downloads fail until they are uploaded again (see docs/operations.md)`,
    );
  } else if (r.orphans.length || r.repaired.length) {
    log.warn({ rows: r.rows, orphans: r.orphans.slice(0, 100), orphanCount: r.orphans.length, repaired: r.repaired }, `${what}: fixed`);
  } else {
    log.info({ rows: r.rows }, `${what}: every row's file is in place`);
  }
}

/** How a journal left by a crash is replayed: against the live rows, through the same durable writes as a commit. */
function recoveryTarget(files: FilesRepository, disk: UserFiles): RecoveryTarget {
  return {
    rowHash: async (owner, p) => (await files.getLive(owner, p))?.contentHash,
    async rewrite(owner, p, data) {
      const tempPath = await disk.writeTemp(data, true);
      await disk.ensureParent(owner, p);
      await disk.publish(tempPath, owner, p);
    },
    patch: (owner, p, parts) => disk.patch(owner, p, parts),
    async promote(owner, p, temp) {
      const tempPath = path.join(disk.tmpDir, path.basename(temp));
      try {
        await fs.access(tempPath);
      } catch {
        return false; // renamed before the crash
      }
      await disk.ensureParent(owner, p);
      await disk.publish(tempPath, owner, p);
      return true;
    },
  };
}
