// Puts new files in place and commits their rows, in the one order in which a crash loses no bytes and no row names bytes that are not there.
import fs from 'node:fs/promises';
import { basename } from 'node:path';
import { parentPath } from '@mydropbox/shared';
import type { FileRow, RowWrite } from '../store/filesRepository';
import type { EntryKind } from '../store/userFiles';
import type { JournalRecord } from '../store/writeJournal';
import { fsyncDir } from '../store/durable';
import { crashPoint } from '../crashPoints';
import { currentDevice } from '../requestDevice';
import type { Replaced } from './versionKeeper';
import type { WriteDeps } from './fileWrites';

/** The new file of one put: in a temp file, or (small) in memory for the journal, perhaps already written where nothing was. */
export interface NewFile {
  path: string;
  /** Where it waits until renamed into place; fsynced unless `data` is set (the journal holds those bytes). */
  tempPath?: string;
  /** Written straight at its path, where nothing was (no row, no file): removed if the rows do not commit. */
  inPlace?: boolean;
  /** A small file's bytes, which the write journal makes durable instead of an fsync of its own. */
  data?: Buffer;
}

export interface Publication {
  writes: readonly RowWrite[];
  /** The live rows at the writes' paths: what they replace is kept as versions. */
  current: ReadonlyMap<string, FileRow>;
  /** A new file for some of the puts. */
  files: readonly NewFile[];
  /** What is on disk at each file's path. */
  kinds: ReadonlyMap<string, EntryKind>;
  /** false: only journaled files need the folders made, and the journal's checkpoint fsyncs them. */
  durableFolders: boolean;
}

/**
 * Keeps the live content the writes replace as versions, before anything is overwritten; makes
 * durable in one write journal the small files' bytes and a publish record for each temp file that
 * replaces a file; then, under the publish lock, puts temp files where no file is in place (a crash
 * then leaves an unlisted file the start-up check removes), commits the rows and the versions' in
 * one transaction, and only then renames the rest over the live files (a crash in between is
 * finished at the next start from the publish records: never new bytes under an old row).
 * If the rows do not commit, the new files are removed; after rows whose files did not all reach
 * their places, the temp files and the journal stay for the next start to finish.
 */
export async function publishFiles(d: WriteDeps, owner: string, p: Publication): Promise<FileRow[]> {
  const { writes, files, kinds, durableFolders } = p;
  const puts = new Map(writes.flatMap((w) => (w.kind === 'put' ? [[w.path, w] as const] : [])));
  const putOf = (path: string) => {
    const put = puts.get(path);
    if (!put) throw new Error(`no row write for "${path}"`);
    return put;
  };
  let committed = false;
  try {
    const replaced: Replaced[] = writes.flatMap((w) => {
      const row = p.current.get(w.path);
      return row ? [{ row, reason: w.reason ?? (w.kind === 'put' ? 'edit' : 'delete') }] : [];
    });
    const kept = await d.versions.preserve(
      owner,
      replaced,
      writes.flatMap((w) => (w.kind === 'put' ? w.blocks : [])),
    );
    crashPoint('publish-after-keep');
    const journaled = files.filter((f) => f.data);
    const replacing = (f: NewFile) => f.data !== undefined || kinds.get(f.path) === 'file';
    const early = files.filter((f) => f.tempPath && !replacing(f));
    const late = files.filter((f) => f.tempPath && replacing(f));
    const published = late.filter((f) => !f.data);
    if (published.length) await fsyncDir(d.disk.tmpDir);
    // Durable before any row says these files exist: recovery rewrites or renames them from here after a crash.
    const records: JournalRecord[] = [
      ...journaled.map((f): JournalRecord => ({
        kind: 'file',
        owner,
        path: f.path,
        contentHash: putOf(f.path).contentHash,
        data: f.data!,
      })),
      ...published.map((f): JournalRecord => ({
        kind: 'publish',
        owner,
        path: f.path,
        contentHash: putOf(f.path).contentHash,
        temp: basename(f.tempPath!),
      })),
    ];
    const journal = records.length ? await d.journal.write(records) : undefined;
    crashPoint('batch-after-journal');
    let renamed = false;
    return await d.publishLock.run(owner, async () => {
      try {
        for (const w of writes) d.published.forget(d.disk.abs(owner, w.path));
        for (const path of new Map(files.filter((f) => f.tempPath).map((f) => [parentPath(f.path), f.path])).values()) {
          await d.disk.ensureParent(owner, path, durableFolders);
        }
        await d.disk.publishMany(
          owner,
          early.map((f) => ({ tempPath: f.tempPath!, path: f.path })),
        );
        for (const f of early) Object.assign(f, { tempPath: undefined, inPlace: true });
        // Both names stop here (and after the rows): tests written for single writes and for batches stop at the same steps.
        crashPoint('batch-before-rows');
        crashPoint('publish-after-rename');
        const rows = await d.files.apply(owner, writes, { device: currentDevice(), also: kept.insert });
        committed = true;
        crashPoint('batch-after-rows');
        crashPoint('publish-after-rows');
        await d.disk.publishMany(
          owner,
          late.map((f) => ({ tempPath: f.tempPath!, path: f.path, journaled: f.data !== undefined })),
        );
        for (const f of late) f.tempPath = undefined;
        renamed = true;
        d.feed.notify(owner);
        // Only after the row: a file renamed into place whose row then failed is never trusted.
        for (const f of files) {
          const { blocks } = putOf(f.path);
          if (!f.data && blocks.length > 1) await d.published.remember(d.disk.abs(owner, f.path), blocks);
        }
        return rows;
      } finally {
        // After rows whose files did not all reach their places, the journal stays for the next start to finish.
        if (journal && (renamed || !committed)) {
          d.journal.checkpoint(
            journal,
            journaled.map((f) => d.disk.abs(owner, f.path)),
            d.disk.base,
          );
        }
      }
    });
  } finally {
    // No row names these bytes: what went where nothing was is removed, the rest never left the temp folder.
    if (!committed) {
      await Promise.all(
        files.map((f) =>
          f.inPlace ? d.disk.remove(owner, f.path).catch(() => undefined) : f.tempPath ? fs.rm(f.tempPath, { force: true }) : undefined,
        ),
      );
    }
  }
}
