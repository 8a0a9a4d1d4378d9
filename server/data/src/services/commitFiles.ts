// The one commit path: a batch of new file versions (a single commit is a batch of one) checked, built, kept and published.
import fs from 'node:fs/promises';
import type { CommitRequest, FileEntry } from '@mydropbox/shared';
import { MyDropboxError, contentHashOfBlocks, parentPath } from '@mydropbox/shared';
import { toEntry, type RowWrite } from '../store/filesRepository';
import { inParallel } from '../inParallel';
import { currentDevice } from '../requestDevice';
import { checkCommits, type Accepted } from './commitChecks';
import { patchInPlace } from './patchInPlace';
import { publishFiles, type NewFile } from './publishFiles';
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

/** A commit's new file, on its way to its path (publishFiles.ts). */
interface Built {
  i: number;
  file: NewFile;
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
 * - publishFiles.ts keeps the live files replaced as versions, commits every row in one transaction
 *   and puts the files in place, in the order that survives a crash; folders are fsynced once.
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
  let handedOver = false;
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
          const file = inPlace ? { path: req.path, data, inPlace } : { path: req.path, data, tempPath: await d.disk.writeTemp(data) };
          built.push({ i, file });
        } else {
          built.push({ i, file: { path: req.path, tempPath: await d.assembler.build(owner, req.size, req.blocks, sources, session) } });
        }
      } catch (err) {
        refuse(i, err);
      }
    });
    built.sort((a, b) => a.i - b.i);
    const going = accepted.filter((a) => !results[a.i]);
    if (going.length) {
      handedOver = true; // publishFiles removes them if the rows do not commit
      const written = await publishFiles(d, owner, {
        writes: writesFor(going),
        current: new Map(going.flatMap((a) => (a.current ? [[a.req.path, a.current] as const] : []))),
        files: built.map((b) => b.file),
        kinds,
        durableFolders,
      });
      going.forEach((a, k) => (results[a.i] = { file: toEntry(written[k]!) }));
    }
    await d.staging.consume(
      owner,
      [...patched, ...going].flatMap((a) => a.req.blocks),
    );
    return results;
  } finally {
    // Files written where nothing was, and temp files, no row names: a failure before they were handed over.
    if (!handedOver) {
      await Promise.all(built.map(({ file: f }) => fs.rm(f.inPlace ? d.disk.abs(owner, f.path) : f.tempPath!, { force: true })));
    }
    await Promise.all([...sessions.values()].map(discard));
  }
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
