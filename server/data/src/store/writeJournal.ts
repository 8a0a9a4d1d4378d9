// A write-ahead journal: the bytes of many small files (or the before and after of an in-place patch) made durable with one fsync.
import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { fsyncChain, fsyncDir, writeNewFileDurably } from './durable';
import { inParallel } from '../inParallel';
import { crashPoint } from '../crashPoints';

/**
 * Why this is as safe as an fsync per file: a journal is written and fsynced (with its folder)
 * before any of the files it covers is touched, and it is removed only after every one of them has
 * been fsynced (the checkpoint, in the background). If the machine goes down in between, recovery
 * at the next start rewrites each file from the journal whose row, committed after the journal,
 * still says it holds those bytes; a file whose row never committed, or says something else since,
 * is left to its row. A journal cut short by the crash was never acted on (the files are touched
 * only after its fsync returned), and its checksum tells it apart.
 *
 * A commit never puts new bytes over a live file before its row commits (publishFiles.ts): the rows
 * go first, then the renames. So recovery only ever rolls forward to what a row says: a file
 * record is rewritten, a publish record's temp file renamed into place.
 */

/** A whole small file: after a crash the file at `path` is these bytes again while its row says `contentHash`. */
export interface FileRecord {
  kind: 'file';
  owner: string;
  path: string;
  contentHash: string;
  data: Buffer;
}

/**
 * Bytes overwritten in place in a live file: `before` and `after` at each offset. After a crash the
 * file is rolled forward if its row says `toHash` and back if it says `fromHash`.
 */
export interface PatchRecord {
  kind: 'patch';
  owner: string;
  path: string;
  fromHash: string;
  toHash: string;
  parts: { offset: number; before: Buffer; after: Buffer }[];
}

/**
 * A durable temp file (in the temp folder, named `temp`) that replaces the live file at `path` once
 * the row saying `contentHash` has committed. After a crash it is renamed into place if that row
 * committed and the rename had not happened yet.
 */
export interface PublishRecord {
  kind: 'publish';
  owner: string;
  path: string;
  contentHash: string;
  temp: string;
}

export type JournalRecord = FileRecord | PatchRecord | PublishRecord;

/** What recovery needs from the rest of the server: the row's content hash and a way to put bytes back. */
export interface RecoveryTarget {
  /** The content hash the live row of `path` states, or undefined without one. */
  rowHash(owner: string, path: string): Promise<string | undefined>;
  /** Replaces the file with `data`, durably. */
  rewrite(owner: string, path: string, data: Buffer): Promise<void>;
  /** Writes `parts` into the existing file and fsyncs it; false if the file is gone. */
  patch(owner: string, path: string, parts: { offset: number; data: Buffer }[]): Promise<boolean>;
  /** Renames the temp file `temp` over `path`, durably; false if it is gone (renamed before the crash). */
  promote(owner: string, path: string, temp: string): Promise<boolean>;
}

const MAGIC = Buffer.from('MDJ1');
const SUFFIX = '.journal';

type HeaderEntry =
  | { kind: 'file'; owner: string; path: string; contentHash: string; at: number; length: number }
  | PublishRecord
  | {
      kind: 'patch';
      owner: string;
      path: string;
      fromHash: string;
      toHash: string;
      parts: { offset: number; length: number; beforeAt: number; afterAt: number }[];
    };

/** A journal on disk, written and fsynced; `retire` it once the files it covers are durable. */
export interface WrittenJournal {
  file: string;
}

export class WriteJournal {
  private readonly pending = new Set<Promise<void>>();

  constructor(readonly dir: string) {}

  /** Writes the records into a new journal file and makes it durable (file and folder). */
  async write(records: readonly JournalRecord[]): Promise<WrittenJournal> {
    await fs.mkdir(this.dir, { recursive: true });
    const file = path.join(this.dir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}${SUFFIX}`);
    await writeNewFileDurably(file, async (handle) => {
      await handle.writev(encode(records));
    });
    await fsyncDir(this.dir);
    return { file };
  }

  /**
   * In the background: fsyncs the files the journal covered and every folder above them up to and
   * including `root` (their folders may be new and not yet durable), then removes the journal. A
   * failure leaves the journal for the next start's recovery.
   */
  checkpoint(journal: WrittenJournal, files: readonly string[], root: string): void {
    const run = (async () => {
      try {
        await syncAll(files, root);
        crashPoint('checkpoint-synced');
        await fs.rm(journal.file, { force: true });
      } catch {
        // Left in place: recovery at the next start replays it, which is harmless if it was not needed.
      }
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  /** Removes a journal whose changes are already durable by other means (or were undone). */
  async retire(journal: WrittenJournal): Promise<void> {
    await fs.rm(journal.file, { force: true });
  }

  /** Waits for the checkpoints under way (a clean shutdown leaves nothing to replay). */
  async drain(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /**
   * Replays every journal left by a crash, oldest first, against the rows, then removes it. Run
   * before the server accepts requests.
   */
  async recover(target: RecoveryTarget): Promise<{ journals: number; replayed: number; torn: number }> {
    let names: string[];
    try {
      names = (await fs.readdir(this.dir)).filter((n) => n.endsWith(SUFFIX)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { journals: 0, replayed: 0, torn: 0 };
      throw err;
    }
    let replayed = 0;
    let torn = 0;
    for (const name of names) {
      const file = path.join(this.dir, name);
      const records = decode(await fs.readFile(file));
      if (!records) torn++;
      for (const r of records ?? []) {
        if (await replay(r, target)) replayed++;
        crashPoint('recovery-replayed');
      }
      await fs.rm(file, { force: true });
    }
    if (names.length) await fsyncDir(this.dir);
    return { journals: names.length, replayed, torn };
  }
}

async function replay(r: JournalRecord, target: RecoveryTarget): Promise<boolean> {
  const rowHash = await target.rowHash(r.owner, r.path);
  if (r.kind === 'publish') return rowHash === r.contentHash && target.promote(r.owner, r.path, r.temp);
  if (r.kind === 'file') {
    if (rowHash !== r.contentHash) return false;
    await target.rewrite(r.owner, r.path, r.data);
    return true;
  }
  const forward = rowHash === r.toHash;
  if (!forward && rowHash !== r.fromHash) return false;
  return target.patch(
    r.owner,
    r.path,
    r.parts.map((p) => ({ offset: p.offset, data: forward ? p.after : p.before })),
  );
}

/** fsyncs files (a few dozen at once), then every folder above them up to `root`, deepest first; files gone since are skipped. */
async function syncAll(files: readonly string[], root: string): Promise<void> {
  const ignoreGone = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  };
  await inParallel(files, 32, async (f) => {
    const handle = await fs.open(f, 'r').catch(ignoreGone);
    if (!handle) return;
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  });
  await fsyncChain(
    root,
    files.map((f) => path.dirname(f)),
  );
}

/** MAGIC, header length (u32), header JSON, payload, SHA-256 of all that. */
function encode(records: readonly JournalRecord[]): Buffer[] {
  const payload: Buffer[] = [];
  let at = 0;
  const put = (b: Buffer): number => {
    payload.push(b);
    at += b.length;
    return at - b.length;
  };
  const entries: HeaderEntry[] = records.map((r) =>
    r.kind === 'publish'
      ? r
      : r.kind === 'file'
        ? { kind: 'file', owner: r.owner, path: r.path, contentHash: r.contentHash, length: r.data.length, at: put(r.data) }
        : {
            kind: 'patch',
            owner: r.owner,
            path: r.path,
            fromHash: r.fromHash,
            toHash: r.toHash,
            parts: r.parts.map((p) => ({ offset: p.offset, length: p.after.length, beforeAt: put(p.before), afterAt: put(p.after) })),
          },
  );
  const header = Buffer.from(JSON.stringify(entries));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  const body = [MAGIC, length, header, ...payload];
  const sum = createHash('sha256');
  for (const b of body) sum.update(b);
  return [...body, sum.digest()];
}

/** The records of a journal, or undefined if it is cut short or damaged. */
function decode(buf: Buffer): JournalRecord[] | undefined {
  if (buf.length < MAGIC.length + 4 + 32 || !buf.subarray(0, 4).equals(MAGIC)) return undefined;
  const body = buf.subarray(0, buf.length - 32);
  if (
    !createHash('sha256')
      .update(body)
      .digest()
      .equals(buf.subarray(buf.length - 32))
  )
    return undefined;
  const headerLength = body.readUInt32BE(4);
  const payloadStart = 8 + headerLength;
  if (payloadStart > body.length) return undefined;
  const entries = JSON.parse(body.subarray(8, payloadStart).toString('utf8')) as HeaderEntry[];
  const slice = (at: number, length: number) => Buffer.from(body.subarray(payloadStart + at, payloadStart + at + length));
  return entries.map((e) =>
    e.kind === 'publish'
      ? e
      : e.kind === 'file'
        ? { kind: 'file', owner: e.owner, path: e.path, contentHash: e.contentHash, data: slice(e.at, e.length) }
        : {
            kind: 'patch',
            owner: e.owner,
            path: e.path,
            fromHash: e.fromHash,
            toHash: e.toHash,
            parts: e.parts.map((p) => ({ offset: p.offset, before: slice(p.beforeAt, p.length), after: slice(p.afterAt, p.length) })),
          },
  );
}
