// The one commit path: a batch of new file versions (a single commit is a batch of one) checked, built, kept and published.
import fs from 'node:fs/promises';
import { basename } from 'node:path';
import type { CommitRequest, FileEntry } from '@mydropbox/shared';
import { MyDropboxError, contentHashOfBlocks, parentPath } from '@mydropbox/shared';
import { toEntry, type FileRow, type RowWrite } from '../store/filesRepository';
import type { JournalRecord } from '../store/writeJournal';
import { fsyncDir } from '../store/durable';
import { inParallel } from '../inParallel';
import { crashPoint } from '../crashPoints';
import { currentDevice } from '../requestDevice';
import { checkCommits, type Accepted } from './commitChecks';
import { patchInPlace } from './patchInPlace';
import { discard, type UploadSession } from './uploadSessions';
import type { WriteDeps } from './fileWrites';

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

/** What became of one commit: its new row, or why it was refused. */
export type CommitOutcome = { file: FileEntry } | { error: MyDropboxError };

/** A commit's new file, on its way to its path. */
interface Built {
  i: number;
  req: CommitRequest;
  /** Where it waits until renamed into place. */
  tempPath?: string;
  /** Written straight at its path, where nothing was (no row, no file): removed if the rows do not commit. */
  inPlace?: boolean;
  /** A small file's bytes, which the write journal makes durable instead of an fsync of its own. */
  data?: Buffer;
}

/**
 * Commits `reqs` for `owner`; the caller holds the user's write lock. Every commit passes the same
 * checks (commitChecks.ts); a refused one gets its error and the rest go on. Then:
 * - a new version of a big file that changes a few of its blocks is patched into the live file
 *   under its own journal and row transaction (patchInPlace.ts), when that file allows it;
 * - a commit naming an upload session takes the session's temp file and completes it;
 * - small files' bytes are made durable by one write journal and written without fsyncs of their
 *   own (new ones straight at their paths); bigger ones are built and fsynced in parallel in temp
 *   files;
 * - the live files replaced are kept as versions, then every row commits in one transaction, with
 *   files where nothing was put in place before it and files over live ones after it, under the
 *   journal's publish records (so a crash in between is finished at the next start, never leaving
 *   new bytes under an old row); folders are fsynced once.
 * Errors other than a MyDropboxError are thrown, failing the whole batch.
 */
export async function commitFiles(d: WriteDeps, owner: string, reqs: readonly CommitRequest[]): Promise<CommitOutcome[]> {
  const results: CommitOutcome[] = new Array(reqs.length);
  const refuse = (i: number, err: unknown) => {
    if (!(err instanceof MyDropboxError)) throw err;
    results[i] = { error: err };
  };
  const checked = await checkCommits(d, owner, reqs, refuse);
  const { kinds } = checked;
  const patched: Accepted[] = [];
  for (const a of checked.accepted) {
    if (!a.current || a.req.uploadId !== undefined) continue;
    try {
      const row = await patchInPlace(
        d,
        owner,
        a.req,
        a.current,
        async (kept) => (await d.files.apply(owner, writesFor([a]), { device: currentDevice(), also: kept.insert }))[0]!,
      );
      if (row) {
        results[a.i] = { file: toEntry(row) };
        patched.push(a);
      }
    } catch (err) {
      refuse(a.i, err);
    }
  }
  // The upload sessions taken and not yet handed to a build, which from then on owns (and on failure removes) their files.
  const sessions = new Map<number, UploadSession>();
  const built: Built[] = [];
  let committed = false;
  try {
    for (const { i, req } of checked.accepted) {
      if (req.uploadId === undefined || results[i]) continue;
      try {
        sessions.set(i, await d.sessions.take(owner, req.uploadId, req.size, req.blocks));
      } catch (err) {
        refuse(i, err);
      }
    }
    const accepted = checked.accepted.filter((a) => !results[a.i]);
    // A block an upload session holds (at any of its indexes) is read from the session's own file.
    const needed = new Map(
      accepted.map(({ i, req }) => {
        const written = sessions.get(i)?.written;
        if (!written) return [i, req.blocks];
        const held = new Set([...written].map((k) => req.blocks[k]));
        return [i, req.blocks.filter((h) => !held.has(h))];
      }),
    );
    const { sources, missing } = await d.assembler.locateSome(owner, [...needed.values()].flat());
    const lacking = new Set(missing);
    let journalBytes = 0;
    const journaling = new Set<CommitRequest>();
    for (const { req } of accepted) {
      if (
        req.uploadId !== undefined ||
        req.blocks.length > 1 ||
        req.size > JOURNAL_FILE_MAX_BYTES ||
        journalBytes + req.size > JOURNAL_MAX_BYTES
      ) {
        continue;
      }
      journaling.add(req);
      journalBytes += req.size;
    }
    // Folders this batch creates are made durable by the journal's checkpoint (it fsyncs every folder
    // above the files) when only journaled files need them; any other file needs them durable now.
    const durableFolders = journaling.size < accepted.length;
    // A new small file goes straight to its folder: parallel creations in the users' folders do not
    // queue on one temp folder, and need no rename (docs/performance.md, W1).
    // Unseen before its row commits, it is removed if the rows do not commit.
    const fresh = new Set(
      accepted.filter((a) => journaling.has(a.req) && !a.current && kinds.get(a.req.path) === 'none').map((a) => a.req.path),
    );
    for (const p of new Map([...fresh].map((p) => [parentPath(p), p])).values()) await d.disk.ensureParent(owner, p, durableFolders);
    await inParallel(accepted, BUILD_WIDTH, async ({ i, req }) => {
      const session = sessions.get(i);
      sessions.delete(i);
      try {
        const gone = needed.get(i)!.filter((h) => lacking.has(h));
        if (gone.length) {
          if (session) await discard(session);
          return refuse(i, blockMissingError([...new Set(gone)]));
        }
        if (journaling.has(req)) {
          const data = await d.assembler.readSmall(owner, req.size, req.blocks, sources);
          const inPlace = fresh.has(req.path) && (await d.disk.writeNew(owner, req.path, data));
          built.push(inPlace ? { i, req, data, inPlace } : { i, req, data, tempPath: await d.disk.writeTemp(data) });
        } else {
          built.push({ i, req, tempPath: await d.assembler.build(owner, req.size, req.blocks, sources, session) });
        }
      } catch (err) {
        refuse(i, err);
      }
    });
    built.sort((a, b) => a.i - b.i);
    const going = accepted.filter((a) => !results[a.i]);
    if (going.length) {
      const written = await publish(d, owner, going, built, kinds, durableFolders, () => (committed = true));
      going.forEach((a, k) => (results[a.i] = { file: toEntry(written[k]!) }));
    }
    await d.staging.consume(
      owner,
      [...patched, ...going].flatMap((a) => a.req.blocks),
    );
    return results;
  } finally {
    // Files written where nothing was, with no row naming them, go; temp files a journal may still
    // promote stay for the next start when the rows did commit.
    const leftovers = built.flatMap((b) =>
      !committed && b.inPlace ? [d.disk.abs(owner, b.req.path)] : b.tempPath && !committed ? [b.tempPath] : [],
    );
    await Promise.all([...leftovers.map((f) => fs.rm(f, { force: true })), ...[...sessions.values()].map(discard)]);
  }
}

/**
 * Keeps the live files `going` replaces as versions (before any of them is renamed over), journals
 * the small files' bytes and a publish record for each temp file that replaces a file, then, under
 * the publish lock: temp files where no file is go into place, the rows commit (`onCommitted`),
 * and the rest are renamed over the live files. `built` holds a file for each of `going`, in order.
 */
async function publish(
  d: WriteDeps,
  owner: string,
  going: readonly Accepted[],
  built: Built[],
  kinds: ReadonlyMap<string, string>,
  durableFolders: boolean,
  onCommitted: () => void,
): Promise<FileRow[]> {
  const kept = await d.versions.preserve(
    owner,
    going.flatMap((a) => (a.current ? [{ row: a.current, reason: 'edit' as const }] : [])),
    going.flatMap((a) => a.req.blocks),
  );
  crashPoint('publish-after-keep');
  const journaled = built.filter((b) => b.data);
  // A built temp file goes into place before the rows only where no file is (a crash then leaves
  // an unlisted file the start-up check removes); over a file, only after the rows, with a publish
  // record so recovery finishes the rename.
  const replacing = (b: Built) => b.data !== undefined || kinds.get(b.req.path) === 'file';
  const early = built.filter((b) => b.tempPath && !replacing(b));
  const late = built.filter((b) => b.tempPath && replacing(b));
  const published = late.filter((b) => !b.data);
  if (published.length) await fsyncDir(d.disk.tmpDir);
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
  const journal = records.length ? await d.journal.write(records) : undefined;
  crashPoint('batch-after-journal');
  let committed = false;
  let renamed = false;
  return d.publishLock.run(owner, async () => {
    try {
      for (const b of built) d.published.forget(d.disk.abs(owner, b.req.path));
      for (const p of new Map(built.filter((b) => b.tempPath).map((b) => [parentPath(b.req.path), b.req.path])).values()) {
        await d.disk.ensureParent(owner, p, durableFolders);
      }
      await d.disk.publishMany(
        owner,
        early.map((b) => ({ tempPath: b.tempPath!, path: b.req.path })),
      );
      for (const b of early) {
        b.tempPath = undefined;
        b.inPlace = true; // where nothing was: removed if the rows do not commit
      }
      // Both names stop here: a batch's step, and the same step of the single writes (copies, restores).
      crashPoint('batch-before-rows');
      crashPoint('publish-after-rename');
      const rows = await d.files.apply(owner, writesFor(going), { device: currentDevice(), also: kept.insert });
      committed = true;
      onCommitted();
      crashPoint('batch-after-rows');
      crashPoint('publish-after-rows');
      await d.disk.publishMany(
        owner,
        late.map((b) => ({ tempPath: b.tempPath!, path: b.req.path, journaled: b.data !== undefined })),
      );
      for (const b of late) b.tempPath = undefined;
      renamed = true;
      d.feed.notify(owner);
      // Only after the row: a file renamed into place whose row then failed is never trusted.
      for (const b of built)
        if (!b.data && b.req.blocks.length > 1) await d.published.remember(d.disk.abs(owner, b.req.path), b.req.blocks);
      return rows;
    } finally {
      // After rows whose files did not all reach their places, the journal stays for the next start to finish.
      if (journal && (renamed || !committed)) {
        d.journal.checkpoint(
          journal,
          journaled.map((b) => d.disk.abs(owner, b.req.path)),
          d.disk.base,
        );
      }
    }
  });
}

function writesFor(items: readonly { req: CommitRequest }[]): RowWrite[] {
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
