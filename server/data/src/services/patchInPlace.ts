// A new version of a big file that changes a few of its blocks, written into the live file under a journal instead of as a whole new copy.
import type { FileHandle } from 'node:fs/promises';
import fs from 'node:fs/promises';
import { BLOCK_SIZE, blockLength, contentHashOfBlocks, type CommitRequest } from '@mydropbox/shared';
import type { FileRow } from '../store/filesRepository';
import type { WriteDeps } from './fileWrites';
import { readFull } from '../store/fullIo';
import { writeParts } from '../store/userFiles';
import type { KeepPlan } from './versionKeeper';

/**
 * At most this many changed blocks are patched in place (their before and after go into the
 * journal: 16 × 2 × 4 MiB); more, or half the file or more, and a new copy costs about the same.
 */
const MAX_PATCHED_BLOCKS = 16;

/**
 * Writes the changed blocks of `req` into the live file of `current` and commits the row, or
 * returns undefined (nothing done) when a new copy must be built instead: the size differs, too
 * much changed, the file is not exactly what this process last wrote there (publishedHere.ts: so
 * the blocks left alone need no second hash), or someone is downloading it.
 *
 * Crash safety: the before and after bytes are journaled and fsynced first; then the file is
 * patched and fsynced, then the row commits, then the journal goes. Recovery rolls the file
 * forward if the row committed and back if not (writeJournal.ts).
 */
export async function patchInPlace(
  d: WriteDeps,
  owner: string,
  req: CommitRequest,
  current: FileRow,
  rowWrite: (kept: KeepPlan) => Promise<FileRow>,
): Promise<FileRow | undefined> {
  if (current.size !== req.size || req.blocks.length < 2) return undefined;
  const old = await d.files.blocksOf(owner, req.path);
  const changed = req.blocks.flatMap((h, i) => (old[i] === h ? [] : [i]));
  if (old.length !== req.blocks.length || !changed.length || changed.length > MAX_PATCHED_BLOCKS || changed.length * 2 > old.length) {
    return undefined;
  }
  const abs = d.disk.abs(owner, req.path);
  let handle: FileHandle;
  try {
    handle = await fs.open(abs, 'r+');
  } catch {
    return undefined; // gone or not a file: the ordinary path reports it
  }
  try {
    if (!d.published.trustsWhole(abs, await handle.stat({ bigint: true }), old)) return undefined;
    const parts: { offset: number; before: Buffer; after: Buffer }[] = [];
    for (const i of changed) {
      const after = await d.assembler.readBlock(owner, req.blocks[i]!);
      if (after.length !== blockLength(req.size, i)) return undefined; // the ordinary path refuses it with a clear error
      const before = Buffer.allocUnsafe(after.length);
      if ((await readFull(handle, before, before.length, i * BLOCK_SIZE)) !== before.length) return undefined; // shorter than its row: not ours to patch
      parts.push({ offset: i * BLOCK_SIZE, before, after });
    }
    // The content being patched over is kept as a version: an overwritten block held nowhere else is copied aside first.
    const kept = await d.versions.preservePatched(
      owner,
      current,
      old,
      req.blocks,
      new Map(parts.map((p) => [p.offset / BLOCK_SIZE, p.before])),
    );
    if (!kept) return undefined;
    const journal = await d.journal.write([
      { kind: 'patch', owner, path: req.path, fromHash: current.contentHash, toHash: contentHashOfBlocks(req.blocks), parts },
    ]);
    // 'patched': the file may hold new bytes the row does not state; only the journal may then be trusted to undo it.
    let state: 'clean' | 'patched' | 'committed' = 'clean';
    try {
      const row = await d.publishLock.run(owner, async () => {
        // Downloads open the file under this lock, so none can start while the bytes change.
        if (d.openReads.busy(abs)) return undefined;
        d.published.forget(abs);
        state = 'patched';
        try {
          await writeParts(
            handle,
            parts.map((p) => ({ offset: p.offset, data: p.after })),
          );
          const written = await rowWrite(kept);
          state = 'committed';
          d.feed.notify(owner);
          return written;
        } catch (err) {
          // The row did not commit: the old bytes go back (should this fail too, the journal rolls the file back at the next start).
          await writeParts(
            handle,
            parts.map((p) => ({ offset: p.offset, data: p.before })),
          );
          state = 'clean';
          throw err;
        }
      });
      await d.journal.retire(journal);
      if (row) await d.published.remember(abs, req.blocks);
      return row;
    } catch (err) {
      if (state === 'clean') await d.journal.retire(journal).catch(() => undefined);
      throw err;
    }
  } finally {
    await handle.close();
  }
}
