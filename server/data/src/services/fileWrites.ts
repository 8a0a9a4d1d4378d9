// Every change to a user's files: commit, copy, move and delete, one at a time per user, disk first, then rows.
import fs from 'node:fs/promises';
import { basename } from 'node:path';
import type { CommitRequest, CommitResult, CopyRequest, DeleteResponse, FileEntry, MoveResponse } from '@mydropbox/shared';
import { MyDropboxError, contentHashOfBlocks, parentPath } from '@mydropbox/shared';
import { FilesRepository, FileRow, RowWrite, toEntry } from '../store/filesRepository';
import type { EntryKind, UserFiles } from '../store/userFiles';
import type { BlockStaging } from '../store/blockStaging';
import type { PublishedHere } from '../store/publishedHere';
import type { JournalRecord, WriteJournal, WrittenJournal } from '../store/writeJournal';
import { fsyncDir } from '../store/durable';
import type { OpenReads } from '../store/openReads';
import { patchInPlace } from './patchInPlace';
import type { Assembler } from './assembler';
import type { ChangeFeed } from './changeFeed';
import type { Quota } from './quota';
import { KeyedMutex } from './keyedMutex';
import { inParallel } from '../inParallel';
import { discard, type UploadSessions } from './uploadSessions';
import type { Replaced, VersionKeeper } from './versionKeeper';
import { currentDevice } from '../requestDevice';
import { crashPoint } from '../crashPoints';

/** Temp files built at once in a batch: their fsyncs overlap, which is where a batch's time goes. */
const BUILD_WIDTH = 32;

/**
 * A batch's files up to this size are journaled (one fsync for all, see writeJournal.ts) rather
 * than fsynced one by one; bigger ones cost an fsync each whatever is done, and their bytes are
 * not held in memory.
 */
const JOURNAL_FILE_MAX_BYTES = 1024 * 1024;
/** At most this much of one batch goes into its journal (the rest is fsynced file by file). */
const JOURNAL_MAX_BYTES = 64 * 1024 * 1024;

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

function live(row: FileRow | undefined): FileRow | undefined {
  return row && !row.deleted ? row : undefined;
}

function conflict(message: string, currentRev: number | null): MyDropboxError {
  return new MyDropboxError('conflict', message, { currentRev });
}

export class FileWrites {
  private readonly userLock = new KeyedMutex();

  constructor(private readonly d: WriteDeps) {}

  async commit(owner: string, req: CommitInput): Promise<FileEntry> {
    return this.userLock.run(owner, async () => {
      const current = live(await this.d.files.get(owner, req.path));
      checkBase(req.path, current, req.baseRev);
      await this.checkPlacement(owner, req.path);
      await this.d.quota.checkCommit(owner, current?.size ?? 0, req.size);
      if (current && req.uploadId === undefined) {
        const patched = await patchInPlace(
          this.d,
          owner,
          req,
          current,
          async (kept) => (await this.d.files.apply(owner, writesFor([{ req }]), { device: currentDevice(), also: kept.insert }))[0]!,
        );
        if (patched) {
          await this.d.staging.consume(owner, req.blocks);
          return toEntry(patched);
        }
      }
      let tempPath: string;
      if (req.uploadId !== undefined) {
        const session = await this.d.sessions.take(owner, req.uploadId, req.size, req.blocks);
        try {
          const inSession = new Set([...session.written].map((i) => req.blocks[i]!));
          const sources = await this.d.assembler.locate(
            owner,
            req.blocks.filter((h) => !inSession.has(h)),
          );
          tempPath = await this.d.assembler.build(owner, req.size, req.blocks, sources, session);
        } catch (err) {
          await discard(session); // build removes it too; this covers a failed locate
          throw err;
        }
      } else {
        const sources = await this.d.assembler.locate(owner, req.blocks);
        tempPath = await this.d.assembler.build(owner, req.size, req.blocks, sources);
      }
      const [row] = await this.publish(owner, [{ tempPath, path: req.path }], writesFor([{ req }]));
      await this.d.staging.consume(owner, req.blocks);
      return toEntry(row);
    });
  }

  /**
   * Many commits under one lock: the same checks as `commit` for each (a refused one gets its error
   * and the rest go on); small files' bytes made durable by one write journal and written without
   * fsyncs of their own (new ones straight at their paths), bigger ones built and fsynced in parallel
   * in temp files and renamed, folders fsynced once; all rows in one transaction.
   */
  async commitBatch(owner: string, reqs: readonly CommitInput[]): Promise<CommitResult[]> {
    return this.userLock.run(owner, async () => {
      const results: CommitResult[] = new Array(reqs.length);
      const refuse = (i: number, err: unknown) => {
        if (!(err instanceof MyDropboxError)) throw err;
        results[i] = { error: err.toBody().error };
      };
      const { accepted, kinds } = await this.checkBatch(owner, reqs, refuse);
      const { sources, missing } = await this.d.assembler.locateSome(
        owner,
        accepted.flatMap((a) => a.req.blocks),
      );
      const lacking = new Set(missing);
      // data: a small file's bytes, which the write journal makes durable instead of an fsync of its own.
      // inPlace: written straight at its path, where nothing was (no row, no file); else in tempPath until renamed.
      const built: { i: number; req: CommitInput; tempPath?: string; inPlace?: boolean; data?: Buffer }[] = [];
      let committed = false;
      let journalBytes = 0;
      const journaling = new Set<CommitInput>();
      for (const { req } of accepted) {
        if (req.blocks.length > 1 || req.size > JOURNAL_FILE_MAX_BYTES || journalBytes + req.size > JOURNAL_MAX_BYTES) continue;
        journaling.add(req);
        journalBytes += req.size;
      }
      // Folders this batch creates are made durable by the journal's checkpoint (it fsyncs every folder
      // above the files) when only journaled files need them; any other file needs them durable now.
      const durableFolders = journaling.size < accepted.length;
      // A new small file goes straight to its folder: parallel creations in the users' folders do not
      // queue on one temp folder, and need no rename (W1; measured in docs/performance.md).
      // Unseen before its row commits, it is removed if the rows do not commit.
      const fresh = new Set(
        accepted.filter((a) => journaling.has(a.req) && !a.current && kinds.get(a.req.path) === 'none').map((a) => a.req.path),
      );
      try {
        for (const p of new Map([...fresh].map((p) => [parentPath(p), p])).values())
          await this.d.disk.ensureParent(owner, p, durableFolders);
        await inParallel(accepted, BUILD_WIDTH, async ({ i, req }) => {
          const gone = req.blocks.filter((h) => lacking.has(h));
          if (gone.length) return refuse(i, blockMissingError([...new Set(gone)]));
          try {
            if (journaling.has(req)) {
              const data = await this.d.assembler.readSmall(owner, req.size, req.blocks, sources);
              const inPlace = fresh.has(req.path) && (await this.d.disk.writeNew(owner, req.path, data));
              built.push(inPlace ? { i, req, data, inPlace } : { i, req, data, tempPath: await this.d.disk.writeTemp(data) });
            } else {
              built.push({ i, req, tempPath: await this.d.assembler.build(owner, req.size, req.blocks, sources) });
            }
          } catch (err) {
            refuse(i, err);
          }
        });
        built.sort((a, b) => a.i - b.i);
        // The live files this batch replaces are kept as versions before any of them is renamed over.
        const going = accepted.filter((a) => !results[a.i]);
        const kept = await this.d.versions.preserve(
          owner,
          going.flatMap((a) => (a.current ? [{ row: a.current, reason: 'edit' as const }] : [])),
          going.flatMap((a) => a.req.blocks),
        );
        const journaled = built.filter((b) => b.data);
        // A built temp file goes into place before the rows only where no file is (a crash then leaves
        // an unlisted file the start-up check removes); over a file, only after the rows, with a publish
        // record so recovery finishes the rename.
        const replacing = (b: (typeof built)[number]) => b.data !== undefined || kinds.get(b.req.path) === 'file';
        const early = built.filter((b) => b.tempPath && !replacing(b));
        const late = built.filter((b) => b.tempPath && replacing(b));
        const published = late.filter((b) => !b.data);
        if (published.length) await fsyncDir(this.d.disk.tmpDir);
        // Durable before any row says these files exist: recovery rewrites them from here after a crash.
        const records: JournalRecord[] = [
          ...journaled.map((b): JournalRecord => ({
            kind: 'file',
            owner,
            path: b.req.path,
            contentHash: contentHashOfBlocks(b.req.blocks),
            data: b.data!,
          })),
          ...published.map((b): JournalRecord => ({
            kind: 'publish',
            owner,
            path: b.req.path,
            contentHash: contentHashOfBlocks(b.req.blocks),
            temp: basename(b.tempPath!),
          })),
        ];
        const journal = records.length ? await this.d.journal.write(records) : undefined;
        crashPoint('batch-after-journal');
        let renamed = false;
        const written = await this.d.publishLock.run(owner, async () => {
          try {
            for (const b of built) this.d.published.forget(this.d.disk.abs(owner, b.req.path));
            for (const p of new Map(built.filter((b) => b.tempPath).map((b) => [parentPath(b.req.path), b.req.path])).values()) {
              await this.d.disk.ensureParent(owner, p, durableFolders);
            }
            await this.d.disk.publishMany(
              owner,
              early.map((b) => ({ tempPath: b.tempPath!, path: b.req.path })),
            );
            for (const b of early) {
              b.tempPath = undefined;
              b.inPlace = true; // where nothing was: removed if the rows do not commit
            }
            crashPoint('batch-before-rows');
            const out = await this.d.files.apply(owner, writesFor(accepted.filter((a) => !results[a.i])), {
              device: currentDevice(),
              also: kept.insert,
            });
            committed = true;
            crashPoint('batch-after-rows');
            await this.d.disk.publishMany(
              owner,
              late.map((b) => ({ tempPath: b.tempPath!, path: b.req.path, journaled: b.data !== undefined })),
            );
            for (const b of late) b.tempPath = undefined;
            renamed = true;
            this.d.feed.notify(owner);
            return out;
          } finally {
            // After rows whose files did not all reach their places, the journal stays for the next start to finish.
            if (journal && (renamed || !committed)) {
              const files = journaled.map((b) => this.d.disk.abs(owner, b.req.path));
              this.d.journal.checkpoint(journal, files, this.d.disk.base);
            }
          }
        });
        const ok = accepted.filter((a) => !results[a.i]);
        ok.forEach((a, k) => (results[a.i] = { file: toEntry(written[k]!) }));
        await this.d.staging.consume(
          owner,
          ok.flatMap((a) => a.req.blocks),
        );
        return results;
      } finally {
        // Files written where nothing was, with no row naming them, go; temp files a journal may still
        // promote stay for the next start when the rows did commit.
        const leftovers = built.flatMap((b) =>
          !committed && b.inPlace ? [this.d.disk.abs(owner, b.req.path)] : b.tempPath && !committed ? [b.tempPath] : [],
        );
        await Promise.all(leftovers.map((f) => fs.rm(f, { force: true })));
      }
    });
  }

  /**
   * The checks of `commit` for each commit of a batch, with its rows and folder checks read at once:
   * the commits that may go ahead (with their current rows), and what is on disk at each path.
   */
  private async checkBatch(
    owner: string,
    reqs: readonly CommitInput[],
    refuse: (i: number, err: unknown) => void,
  ): Promise<{ accepted: { i: number; req: CommitInput; current?: FileRow }[]; kinds: Map<string, EntryKind> }> {
    const rows = await this.d.files.getMany(
      owner,
      reqs.map((r) => r.path),
    );
    const ancestors = new Set(reqs.flatMap((r) => ancestorsOf(r.path)));
    const fileAncestors = new Set((await this.d.files.liveAmong(owner, [...ancestors])).map((r) => r.path));
    let { usedBytes } = await this.d.files.usage(owner);
    // One lstat per path, many at once: asked one by one they were a thousand round trips to the thread pool.
    const kinds = new Map<string, EntryKind>();
    await inParallel(reqs, BUILD_WIDTH, async (r) => {
      // A path too long for this server is refused on its own below (disk.abs), not with the whole batch.
      kinds.set(
        r.path,
        await this.d.disk
          .kind(owner, r.path)
          .catch((err: unknown) => (MyDropboxError.is(err, 'invalid_path') ? 'none' : Promise.reject(err))),
      );
    });
    const accepted: { i: number; req: CommitInput; current?: FileRow }[] = [];
    const taken = new Set<string>();
    const takenAncestors = new Set<string>();
    for (const [i, req] of reqs.entries()) {
      try {
        if (taken.has(req.path)) throw new MyDropboxError('invalid_request', `"${req.path}" is in this batch twice; send it once.`);
        this.d.disk.abs(owner, req.path); // refuses a path too long for this server
        const current = live(rows.get(req.path));
        checkBase(req.path, current, req.baseRev);
        const blocking = ancestorsOf(req.path).find((a) => fileAncestors.has(a) || taken.has(a));
        if (blocking) throw conflict(`"${blocking}" is a file, so "${req.path}" cannot be created inside it.`, null);
        if (takenAncestors.has(req.path)) throw conflict(`"${req.path}" is a folder of another file in this batch.`, null);
        if (kinds.get(req.path) === 'dir' && !(await this.d.disk.removeEmptyTree(owner, req.path))) {
          throw conflict(`"${req.path}" is a folder with files in it; a file cannot replace it.`, null);
        }
        this.d.quota.checkCommitWithin(usedBytes, current?.size ?? 0, req.size);
        usedBytes += req.size - (current?.size ?? 0);
        taken.add(req.path);
        for (const a of ancestorsOf(req.path)) takenAncestors.add(a);
        accepted.push({ i, req, current });
      } catch (err) {
        refuse(i, err);
      }
    }
    return { accepted, kinds };
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
    await this.checkPlacement(owner, req.to);
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
      await this.checkPlacement(owner, path);
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

  /**
   * Keeps the live files the writes replace as versions, then commits the rows (the versions' too,
   * in one transaction) and puts the temp files in place: a temp file goes in before the rows only
   * where no file is, and over a file only after the rows, under a journal's publish record (so a
   * crash in between is finished at the next start, never leaving new bytes under an old row).
   */
  private async publish(owner: string, temps: { tempPath: string; path: string }[], writes: RowWrite[]): Promise<FileRow[]> {
    const currentRows = await this.d.files.getMany(
      owner,
      writes.map((w) => w.path),
    );
    const replaced: Replaced[] = writes.flatMap((w) => {
      const row = live(currentRows.get(w.path));
      return row ? [{ row, reason: w.reason ?? (w.kind === 'put' ? 'edit' : 'delete') }] : [];
    });
    const kept = await this.d.versions.preserve(
      owner,
      replaced,
      writes.flatMap((w) => (w.kind === 'put' ? w.blocks : [])),
    );
    crashPoint('publish-after-keep');
    const kinds = await Promise.all(temps.map((t) => this.d.disk.kind(owner, t.path)));
    const early = temps.filter((_, k) => kinds[k] !== 'file');
    const late = temps.filter((_, k) => kinds[k] === 'file');
    let journal: WrittenJournal | undefined;
    if (late.length) {
      await fsyncDir(this.d.disk.tmpDir);
      journal = await this.d.journal.write(
        late.map((t) => ({
          kind: 'publish',
          owner,
          path: t.path,
          contentHash: contentHashFor(writes, t.path),
          temp: basename(t.tempPath),
        })),
      );
    }
    const placed: string[] = [];
    let committed = false;
    try {
      return await this.d.publishLock.run(owner, async () => {
        for (const w of writes) this.d.published.forget(this.d.disk.abs(owner, w.path));
        for (const t of early) {
          await this.d.disk.ensureParent(owner, t.path);
          await this.d.disk.publish(t.tempPath, owner, t.path);
          placed.push(t.path);
        }
        crashPoint('publish-after-rename');
        const rows = await this.d.files.apply(owner, writes, { device: currentDevice(), also: kept.insert });
        committed = true;
        crashPoint('publish-after-rows');
        for (const t of late) {
          await this.d.disk.ensureParent(owner, t.path);
          await this.d.disk.publish(t.tempPath, owner, t.path);
        }
        if (journal) await this.d.journal.retire(journal);
        this.d.feed.notify(owner);
        // Only after the row: a file renamed into place whose row then failed is never trusted.
        for (const w of writes) {
          if (w.kind === 'put' && w.blocks.length > 1 && temps.some((t) => t.path === w.path)) {
            await this.d.published.remember(this.d.disk.abs(owner, w.path), w.blocks);
          }
        }
        return rows;
      });
    } catch (err) {
      if (!committed) {
        // No row names these bytes: what went where nothing was is removed, the rest never left the temp folder.
        await Promise.all([
          ...placed.map((p) => this.d.disk.remove(owner, p).catch(() => undefined)),
          ...late.map((t) => fs.rm(t.tempPath, { force: true })),
        ]);
        if (journal) await this.d.journal.retire(journal).catch(() => undefined);
      }
      throw err;
    }
  }

  /** A file cannot sit where a folder with files is, nor inside a path that is a file. */
  private async checkPlacement(owner: string, path: string): Promise<void> {
    const ancestors: string[] = [];
    for (let p = parentPath(path); p !== ''; p = parentPath(p)) ancestors.push(p);
    if (ancestors.length) {
      const blocking = await this.d.files.liveAmong(owner, ancestors);
      if (blocking.length) {
        throw conflict(`"${blocking[0].path}" is a file, so "${path}" cannot be created inside it.`, null);
      }
    }
    if ((await this.d.disk.kind(owner, path)) === 'dir' && !(await this.d.disk.removeEmptyTree(owner, path))) {
      throw conflict(`"${path}" is a folder with files in it; a file cannot replace it.`, null);
    }
  }
}

function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let p = parentPath(path); p !== ''; p = parentPath(p)) out.push(p);
  return out;
}

function contentHashFor(writes: readonly RowWrite[], p: string): string {
  const put = writes.find((w) => w.kind === 'put' && w.path === p);
  if (!put || put.kind !== 'put') throw new Error(`no row write for "${p}"`);
  return put.contentHash;
}

function writesFor(items: readonly { req: CommitInput }[]): RowWrite[] {
  return items.map(({ req }) => ({
    kind: 'put',
    path: req.path,
    size: req.size,
    blocks: req.blocks,
    contentHash: contentHashOfBlocks(req.blocks),
    modifiedAt: req.modifiedAt ?? Date.now(),
    ...(req.executable !== undefined ? { executable: req.executable } : {}),
  }));
}

function blockMissingError(missing: string[]): MyDropboxError {
  return new MyDropboxError('block_missing', `The server does not have ${missing.length} of the blocks; upload them, then commit again.`, {
    missing,
  });
}

function checkBase(path: string, current: FileRow | undefined, baseRev: number | null): void {
  if (baseRev === null && current) {
    throw conflict(`"${path}" already exists on the server (revision ${current.rev}); fetch it before replacing it.`, current.rev);
  }
  if (baseRev !== null && current?.rev !== baseRev) {
    throw conflict(
      current
        ? `"${path}" changed on the server (now revision ${current.rev}, you had ${baseRev}); fetch it and merge.`
        : `"${path}" was deleted on the server after revision ${baseRev}.`,
      current?.rev ?? null,
    );
  }
}
