// Every change to a user's files: commit, copy, move and delete, one at a time per user, disk first, then rows.
import type { CommitRequest, CommitResult, CopyRequest, DeleteResponse, FileEntry, MoveResponse } from '@mydropbox/shared';
import { MyDropboxError } from '@mydropbox/shared';
import { FilesRepository, FileRow, RowWrite, toEntry } from '../store/filesRepository';
import type { UserFiles } from '../store/userFiles';
import type { BlockStaging } from '../store/blockStaging';
import type { PublishedHere } from '../store/publishedHere';
import type { WriteJournal } from '../store/writeJournal';
import type { OpenReads } from '../store/openReads';
import type { Assembler } from './assembler';
import type { ChangeFeed } from './changeFeed';
import type { Quota } from './quota';
import { KeyedMutex } from './keyedMutex';
import type { UploadSessions } from './uploadSessions';
import type { VersionKeeper } from './versionKeeper';
import { commitFiles } from './commitFiles';
import { checkPlacement, conflict, live } from './commitChecks';
import { publishFiles } from './publishFiles';

/** The commit body of shared/src/protocol.ts (uploadId: the session whose temp file holds some blocks). */
export type CommitInput = CommitRequest;

/** The copy/move body of shared/src/protocol.ts. */
export type CopyInput = CopyRequest;
export type MoveResult = MoveResponse;

export interface WriteDeps {
  files: FilesRepository;
  disk: UserFiles;
  staging: BlockStaging;
  assembler: Assembler;
  feed: ChangeFeed;
  quota: Quota;
  /** Held from a temp file's rename to its row's commit; downloads take it to see row and bytes agree. */
  publishLock: KeyedMutex;
  sessions: UploadSessions;
  /** Big files this process wrote, so their blocks can be reused without a second hash (see publishedHere.ts). */
  published: PublishedHere;
  journal: WriteJournal;
  /** Live files open for download: never patched in place. */
  openReads: OpenReads;
  /** Keeps what every overwrite, delete and move replaces (version history). */
  versions: VersionKeeper;
}

/** A kept version's content to make current again (services/history.ts decides where). */
export interface RestoreInput {
  size: number;
  blocks: readonly string[];
  contentHash: string;
  executable: boolean;
}

export class FileWrites {
  private readonly userLock = new KeyedMutex();

  constructor(private readonly d: WriteDeps) {}

  /** One commit: the batch path with a batch of one (commitFiles.ts); a refusal is thrown. */
  async commit(owner: string, req: CommitInput): Promise<FileEntry> {
    const [outcome] = await this.userLock.run(owner, () => commitFiles(this.d, owner, [req]));
    if ('error' in outcome!) throw outcome.error;
    return outcome!.file;
  }

  /** Many commits under one lock (commitFiles.ts): a refused one gets its error in its result and the rest go on. */
  async commitBatch(owner: string, reqs: readonly CommitInput[]): Promise<CommitResult[]> {
    const outcomes = await this.userLock.run(owner, () => commitFiles(this.d, owner, reqs));
    return outcomes.map((o) => ('error' in o ? { error: o.error.toBody().error } : o));
  }

  async copy(owner: string, req: CopyInput): Promise<FileEntry> {
    return this.userLock.run(owner, async () => (await this.duplicate(owner, req, false)).file);
  }

  async move(owner: string, req: CopyInput): Promise<MoveResult> {
    return this.userLock.run(owner, async () => {
      const { file, from } = await this.duplicate(owner, req, true);
      return { file, from: from! };
    });
  }

  async delete(owner: string, path: string, baseRev?: number): Promise<DeleteResponse> {
    return this.userLock.run(owner, async () => {
      const current = live(await this.d.files.get(owner, path));
      if (!current) throw new MyDropboxError('not_found', `There is no file "${path}".`);
      if (baseRev !== undefined && baseRev !== current.rev) {
        throw conflict(
          `"${path}" changed on the server (now revision ${current.rev}, you had ${baseRev}); look at it before deleting.`,
          current.rev,
        );
      }
      // Rows first, then the file: a crash in between leaves an unlisted leftover, never a listed file without bytes.
      const [row] = await this.publish(owner, [], [{ kind: 'delete', path, modifiedAt: Date.now() }]);
      await this.d.disk.remove(owner, path);
      return { path, rev: row.rev };
    });
  }

  /** Copy, or with `andDelete` move: a zero-payload commit of the source's blocks at the target. */
  private async duplicate(owner: string, req: CopyInput, andDelete: boolean): Promise<{ file: FileEntry; from?: DeleteResponse }> {
    if (req.from === req.to) throw new MyDropboxError('invalid_request', 'The source and the destination are the same path.');
    const source = live(await this.d.files.get(owner, req.from));
    if (!source) throw new MyDropboxError('not_found', `There is no file "${req.from}".`);
    if (req.baseRev !== undefined && req.baseRev !== source.rev) {
      throw conflict(`"${req.from}" changed on the server (now revision ${source.rev}, you had ${req.baseRev}).`, source.rev);
    }
    const target = live(await this.d.files.get(owner, req.to));
    if (target && !req.overwrite) {
      throw conflict(`"${req.to}" already exists; choose another name or ask to overwrite it.`, target.rev);
    }
    await checkPlacement(this.d, owner, req.to);
    if (!andDelete) await this.d.quota.checkCommit(owner, target?.size ?? 0, source.size);
    const blocks = await this.d.files.blocksOf(owner, req.from);
    const sources = await this.d.assembler.locate(owner, blocks);
    const tempPath = await this.d.assembler.build(owner, source.size, blocks, sources);
    const writes: RowWrite[] = [
      {
        kind: 'put',
        path: req.to,
        size: source.size,
        blocks,
        contentHash: source.contentHash,
        modifiedAt: source.modifiedAt,
        executable: source.executable === true,
      },
    ];
    if (andDelete) writes.push({ kind: 'delete', path: req.from, modifiedAt: Date.now(), reason: 'move' });
    const [put, removed] = await this.publish(owner, [{ tempPath, path: req.to }], writes);
    if (andDelete) await this.d.disk.remove(owner, req.from);
    return { file: toEntry(put), from: removed ? { path: req.from, rev: removed.rev } : undefined };
  }

  /** Runs `section` under the user's write lock (the purge, a restore's choice of target, account removal). */
  locked<T>(owner: string, section: () => Promise<T>): Promise<T> {
    return this.userLock.run(owner, section);
  }

  /**
   * Makes a kept version's content current at the path `choose` picks (under the write lock, so no
   * change slips in between), through the same build and publish as a commit: the change feed carries
   * it, and the live content it replaces is kept as a version (reason 'restore').
   * `choose` returning `current` means that content is there already: nothing is written.
   */
  async restore(
    owner: string,
    input: RestoreInput,
    choose: () => Promise<{ path: string; current?: FileRow; unchanged?: boolean }>,
  ): Promise<{ path: string; file: FileEntry }> {
    return this.userLock.run(owner, async () => {
      const { path, current, unchanged } = await choose();
      if (current && unchanged) return { path, file: toEntry(current) };
      await checkPlacement(this.d, owner, path);
      await this.d.quota.checkCommit(owner, current?.size ?? 0, input.size);
      const sources = await this.d.assembler.locate(owner, input.blocks);
      const tempPath = await this.d.assembler.build(owner, input.size, input.blocks, sources);
      const write: RowWrite = {
        kind: 'put',
        path,
        size: input.size,
        blocks: input.blocks,
        contentHash: input.contentHash,
        modifiedAt: Date.now(),
        reason: 'restore',
        executable: input.executable,
      };
      const [row] = await this.publish(owner, [{ tempPath, path }], [write]);
      return { path, file: toEntry(row) };
    });
  }

  /** Publishes the writes with their temp files (publishFiles.ts), against the live rows and what is on disk now. */
  private async publish(owner: string, temps: { tempPath: string; path: string }[], writes: RowWrite[]): Promise<FileRow[]> {
    const rows = await this.d.files.getMany(
      owner,
      writes.map((w) => w.path),
    );
    const current = new Map([...rows].filter(([, row]) => !row.deleted));
    const kinds = new Map(await Promise.all(temps.map(async (t) => [t.path, await this.d.disk.kind(owner, t.path)] as const)));
    return publishFiles(this.d, owner, { writes, current, files: temps, kinds, durableFolders: true });
  }
}
