// What was last synced (path, size, mtime, inode, hash, revision, blocks), kept in memory and in an append-only journal.
import fs from 'node:fs';
import path from 'node:path';
import type { TreeEntry } from './planner';
import { CompactTree } from './compactTree';

export interface SyncedEntry extends TreeEntry {
  size: number;
  mtime: number;
  ino: number;
  contentHash: string;
  rev: number;
  blocks: string[];
}

const JOURNAL = 'index.jsonl';

/** `u`: an upload of this content was sent and not yet answered; `c`: that question is settled. */
type Record =
  { p: string; e: SyncedEntry } | { p: string; d: 1 } | { p: string; u: SyncedEntry } | { p: string; c: 1 } | { k: string; s: string };

/**
 * One JSON line per change, appended; loading replays the lines into a Map. A crash can only cut the
 * last line short, and that line is skipped: every record is a hint the planner can redo from the
 * hashes, so losing the last one costs a re-check, never a file. The journal is rewritten (temp
 * file, fsync, rename) when it grows well past the number of files.
 */
export class SyncedIndex {
  private readonly entries = new CompactTree<SyncedEntry>();
  private readonly sending = new Map<string, SyncedEntry>();
  private fd: number | undefined;
  private savedCursor: { cursor: string; server: string } | undefined;
  private lines = 0;

  private constructor(private readonly file: string) {}

  static open(stateDir: string): SyncedIndex {
    fs.mkdirSync(stateDir, { recursive: true });
    const index = new SyncedIndex(path.join(stateDir, JOURNAL));
    index.load();
    if (index.lines > 2 * index.entries.size + 1000) index.compact();
    index.fd = fs.openSync(index.file, 'a');
    return index;
  }

  /** Replays the journal a megabyte at a time: the whole file as one string (and its lines) would double the peak memory. */
  private load(): void {
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
    else {
      this.sending.delete(rec.p);
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

  /** See CompactTree.copyIfSameStat: the scanner's no-change case. */
  copyIfSameStat(p: string, st: fs.Stats, into: CompactTree<TreeEntry & { size: number }>): boolean {
    return this.entries.copyIfSameStat(p, st, into);
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

  /** At a full pass, with the server's listing: uploads the server took become synced, the rest are forgotten. */
  settleSending(remote: (p: string) => { contentHash: string; rev?: number } | undefined): void {
    for (const [p, e] of [...this.sending]) {
      const r = remote(p);
      if (r && r.contentHash === e.contentHash && !this.entries.has(p)) this.set(p, { ...e, rev: r.rev ?? e.rev });
      else if (this.sending.delete(p)) this.append({ p, c: 1 });
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
    this.entries.set(p, entry);
    this.append({ p, e: entry });
  }

  delete(p: string): void {
    this.sending.delete(p);
    if (!this.entries.delete(p)) return;
    this.append({ p, d: 1 });
  }

  private append(rec: Record): void {
    if (this.fd === undefined) throw new Error('The sync index is closed.');
    fs.writeSync(this.fd, JSON.stringify(rec) + '\n');
    if (++this.lines > 2 * this.entries.size + 10_000) this.compact();
  }

  /** Rewrites the journal as one line per live entry. */
  compact(): void {
    const tmp = `${this.file}.tmp`;
    const out = fs.openSync(tmp, 'w');
    try {
      let chunk = '';
      for (const [p, e] of this.entries) {
        chunk += JSON.stringify({ p, e }) + '\n';
        if (chunk.length > 1 << 20) {
          fs.writeSync(out, chunk);
          chunk = '';
        }
      }
      if (this.savedCursor) chunk += JSON.stringify({ k: this.savedCursor.cursor, s: this.savedCursor.server }) + '\n';
      if (chunk) fs.writeSync(out, chunk);
      fs.fsyncSync(out);
    } finally {
      fs.closeSync(out);
    }
    fs.renameSync(tmp, this.file);
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      this.fd = fs.openSync(this.file, 'a');
    }
    this.lines = this.entries.size;
  }

  /** Flushes the journal to disk (at stop and after a full pass) and closes it. */
  close(): void {
    if (this.fd === undefined) return;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  flush(): void {
    if (this.fd !== undefined) fs.fsyncSync(this.fd);
  }
}
