// What was last synced (path, size, mtime, inode, hash, revision, blocks), kept in memory, in a snapshot and an append-only journal.
import fs from 'node:fs';
import path from 'node:path';
import type { TreeEntry } from './planner';
import { CompactTree } from './compactTree';
import type { FileStat } from './hasher';

export interface SyncedEntry extends TreeEntry, FileStat {
  size: number;
  mtime: number;
  ino: number;
  contentHash: string;
  rev: number;
  blocks: string[];
}

const JOURNAL = 'index.jsonl';

/** The entries as of the last compaction, as CompactTree columns; the journal holds what changed since. */
const SNAPSHOT = 'index.bin';

/** A download going into place: the content and revision it brings. */
interface Receiving {
  contentHash: string;
  rev: number;
}

/**
 * `u`: an upload of this content was sent and not yet answered; `c`: that question is settled.
 * `r`: a download of this revision is going into place and not yet recorded; `rc`: that one is settled.
 */
type Record =
  | { p: string; e: SyncedEntry }
  | { p: string; d: 1 }
  | { p: string; u: SyncedEntry }
  | { p: string; c: 1 }
  | { p: string; r: Receiving }
  | { p: string; rc: 1 }
  | { k: string; s: string };

/**
 * One JSON line per change, appended; loading replays the lines into a Map. A crash can only cut the
 * last line short, and that line is skipped: every record is a hint the planner can redo from the
 * hashes, so losing the last one costs a re-check, never a file. The journal is rewritten (temp
 * file, fsync, rename) when it grows well past the number of files.
 */
export class SyncedIndex {
  private readonly entries = new CompactTree<SyncedEntry>();
  private readonly sending = new Map<string, SyncedEntry>();
  private readonly receiving = new Map<string, Receiving>();
  private fd: number | undefined;
  private savedCursor: { cursor: string; server: string } | undefined;
  private lines = 0;
  private compactedLines = 0;
  /** Told before an entry is changed or dropped: the local tree marks files as "this entry" (localTree.ts) and must keep what it was. */
  beforeChange: ((p: string) => void) | undefined;

  private constructor(private readonly file: string) {}

  private get snapshotFile(): string {
    return path.join(path.dirname(this.file), SNAPSHOT);
  }

  static open(stateDir: string): SyncedIndex {
    fs.mkdirSync(stateDir, { recursive: true });
    const index = new SyncedIndex(path.join(stateDir, JOURNAL));
    index.load();
    if (index.journaled() > 2 * (index.entries.size + index.pending()) + 10_000) index.compact();
    index.fd = fs.openSync(index.file, 'a');
    return index;
  }

  /** Replays the journal a megabyte at a time: the whole file as one string (and its lines) would double the peak memory. */
  private load(): void {
    // Written whole (temp file, fsync, rename), so a snapshot that does not read back is not ours to guess at.
    readSnapshot(this.snapshotFile, this.entries);
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      let rest = Buffer.alloc(0);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        const chunk = rest.length ? Buffer.concat([rest, buf.subarray(0, n)]) : buf.subarray(0, n);
        let start = 0;
        for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
          this.replay(chunk.toString('utf8', start, nl));
          start = nl + 1;
        }
        rest = Buffer.from(chunk.subarray(start));
      }
      if (rest.length) this.replay(rest.toString('utf8'));
    } finally {
      fs.closeSync(fd);
    }
  }

  private replay(line: string): void {
    if (!line) return;
    let rec: Record;
    try {
      rec = JSON.parse(line) as Record;
    } catch {
      return; // torn by a crash mid-write
    }
    this.lines++;
    if ('k' in rec)
      this.savedCursor = typeof rec.k === 'string' && typeof rec.s === 'string' ? { cursor: rec.k, server: rec.s } : undefined;
    else if ('u' in rec) this.sending.set(rec.p, rec.u);
    else if ('c' in rec) this.sending.delete(rec.p);
    else if ('r' in rec) this.receiving.set(rec.p, rec.r);
    else if ('rc' in rec) this.receiving.delete(rec.p);
    else {
      this.sending.delete(rec.p);
      this.receiving.delete(rec.p);
      if ('e' in rec) this.entries.set(rec.p, rec.e);
      else this.entries.delete(rec.p);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(p: string): SyncedEntry | undefined {
    return this.entries.get(p);
  }

  has(p: string): boolean {
    return this.entries.has(p);
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  /** The index's own copy of the path string, so the other trees can share it instead of holding their own. */
  canonical(p: string): string | undefined {
    return this.entries.canonical(p);
  }

  /** The entries as the planner's synced tree (a live view, not a copy). */
  get tree(): CompactTree<SyncedEntry> {
    return this.entries;
  }

  /**
   * Notes an upload about to be committed. A crash before its answer is recorded would otherwise
   * leave the server with this content and no synced entry, and a later local edit would look like
   * a conflict; `settleSending` turns it into the synced entry it became.
   */
  markSending(p: string, entry: SyncedEntry): void {
    this.sending.set(p, entry);
    this.append({ p, u: entry });
  }

  /**
   * At a full pass, with the server's listing: uploads the server took become synced (new files and
   * edits of synced ones alike: an entry set since the mark would have cleared it), the rest are forgotten.
   */
  settleSending(remote: (p: string) => { contentHash: string; rev?: number } | undefined): void {
    for (const [p, e] of [...this.sending]) {
      const r = remote(p);
      if (r && r.contentHash === e.contentHash) this.set(p, { ...e, rev: r.rev ?? e.rev });
      else if (this.sending.delete(p)) this.append({ p, c: 1 });
    }
  }

  /**
   * Notes a download about to go into place. A crash after the rename and before `set` would otherwise
   * leave the file here with no synced entry, and a later change on the server would look like a
   * conflict; `settleReceiving` turns it into the synced entry it became.
   */
  markReceiving(p: string, download: Receiving): void {
    const r = { contentHash: download.contentHash, rev: download.rev };
    this.receiving.set(p, r);
    this.append({ p, r });
  }

  /** At a full pass, with the scanned folder: downloads that reached their place become synced, the rest are forgotten. */
  settleReceiving(local: (p: string) => Omit<SyncedEntry, 'rev'> | undefined): void {
    for (const [p, r] of [...this.receiving]) {
      const l = local(p);
      if (l && l.contentHash === r.contentHash) this.set(p, { ...l, rev: r.rev });
      else if (this.receiving.delete(p)) this.append({ p, rc: 1 });
    }
  }

  /**
   * A change-feed cursor at which the server held exactly this index. Stays true as the index changes:
   * every later change of the index takes a version the server committed after it (an upload's answer,
   * a download, an agreement, a delete), which its feed lists, so this index plus the feed since the
   * cursor is the server's tree now (see docs/performance.md, W6). `server` names the account and data
   * server the cursor belongs to: a folder signed in to another account must list again.
   */
  get cursor(): { cursor: string; server: string } | undefined {
    return this.savedCursor;
  }

  saveCursor(cursor: string, server: string): void {
    if (cursor === this.savedCursor?.cursor && server === this.savedCursor.server) return;
    this.savedCursor = { cursor, server };
    this.append({ k: cursor, s: server });
  }

  set(p: string, entry: SyncedEntry): void {
    this.sending.delete(p);
    this.receiving.delete(p);
    this.beforeChange?.(p);
    this.entries.set(p, entry);
    this.append({ p, e: entry });
  }

  delete(p: string): void {
    this.sending.delete(p);
    this.receiving.delete(p);
    this.beforeChange?.(p);
    if (!this.entries.delete(p)) return;
    this.append({ p, d: 1 });
  }

  private append(rec: Record): void {
    if (this.fd === undefined) throw new Error('The sync index is closed.');
    fs.writeSync(this.fd, JSON.stringify(rec) + '\n');
    this.lines++;
    if (this.journaled() > 2 * (this.entries.size + this.pending()) + 10_000) this.compact();
  }

  /**
   * Writes the entries as a snapshot and starts the journal again with only the unanswered uploads and
   * the cursor. Each file is written whole (temp, fsync, rename). A crash between the two renames
   * leaves the new snapshot with the old journal, whose replay on top ends in the same entries: the
   * snapshot is the state after that very journal, and replaying it only sets each path it names to
   * the last value it gave, which is the snapshot's.
   */
  compact(): void {
    writeWhole(this.snapshotFile, this.entries.toBinary());
    let text = '';
    // Uploads still unanswered stay journaled: dropping them would bring back the false conflict markSending prevents.
    for (const [p, u] of this.sending) text += JSON.stringify({ p, u }) + '\n';
    for (const [p, r] of this.receiving) text += JSON.stringify({ p, r }) + '\n';
    if (this.savedCursor) text += JSON.stringify({ k: this.savedCursor.cursor, s: this.savedCursor.server }) + '\n';
    writeWhole(this.file, [Buffer.from(text)]);
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      this.fd = fs.openSync(this.file, 'a');
    }
    this.lines = this.pending() + (this.savedCursor ? 1 : 0);
    this.compactedLines = this.lines;
  }

  /** Transfers sent or going into place and not yet recorded: they survive a compaction. */
  private pending(): number {
    return this.sending.size + this.receiving.size;
  }

  /**
   * Lines appended since the last compaction. Compacting when they pass twice the live entries and
   * pending transfers keeps the work per append constant; the transfers count because they survive a
   * compaction (left out, a first sync with 100,000 in flight would compact again at every append).
   */
  private journaled(): number {
    return this.lines - this.compactedLines;
  }

  /** Flushes the journal to disk (at stop and after a full pass) and closes it. */
  close(): void {
    if (this.fd === undefined) return;
    // Compacted on the way out, where the time is least noticed, so the next start reads the snapshot
    // (a copy) instead of parsing a JSON line per file (a first sync journals each file twice).
    if (this.journaled() > 1000) this.compact();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  flush(): void {
    if (this.fd !== undefined) fs.fsyncSync(this.fd);
  }
}

/** Loads `tree` from a snapshot file, if there is one: the header line in pieces, then the columns read straight into the tree. */
function readSnapshot(file: string, tree: CompactTree<SyncedEntry>): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const pieces: Buffer[] = [];
    let headBytes = 0;
    for (let nl = -1; nl < 0;) {
      const piece = Buffer.allocUnsafe(Math.min(1 << 20, size - headBytes));
      if (piece.length === 0) throw new Error('The sync index snapshot has no header line.');
      readFully(fd, piece, headBytes);
      nl = piece.indexOf(10);
      pieces.push(nl < 0 ? piece : piece.subarray(0, nl));
      headBytes += nl < 0 ? piece.length : nl;
    }
    const head = Buffer.concat(pieces).toString('utf8');
    const start = headBytes + 1;
    tree.loadBinary(head, size - start, (into, at) => readFully(fd, into, start + at));
  } finally {
    fs.closeSync(fd);
  }
}

/** Fills `into` from `fd` at `position`; a file shorter than that is not a snapshot we wrote. */
function readFully(fd: number, into: Uint8Array, position: number): void {
  for (let filled = 0; filled < into.length;) {
    const n = fs.readSync(fd, into, filled, into.length - filled, position + filled);
    if (n === 0) throw new Error('The sync index snapshot is cut short.');
    filled += n;
  }
}

function writeWhole(file: string, parts: Buffer[]): void {
  const tmp = `${file}.tmp`;
  const out = fs.openSync(tmp, 'w');
  try {
    for (const part of parts) fs.writeSync(out, part);
    fs.fsyncSync(out);
  } finally {
    fs.closeSync(out);
  }
  fs.renameSync(tmp, file);
}
