// The data server's file semantics in memory, for the simulator: revisions, baseRev conflicts, deletes,
// the change feed with cursors, the refusals of a file below a file or where a folder is, and version history;
// and a device's long poll of that feed.
import crypto from 'node:crypto';
import type { Change } from '@mydropbox/shared';

const hashes = new Map<string, string>();
/** The content hash the server and the scanner would give these bytes (cached: the simulations hash the same few contents over and over). */
export function hashOf(content: string): string {
  let h = hashes.get(content);
  if (h === undefined) {
    h = crypto.createHash('sha256').update(content).digest('hex');
    hashes.set(content, h);
  }
  return h;
}

/** A server-side failure the client sees, with the data server's error code. */
export class SimError extends Error {
  constructor(
    readonly code: 'conflict' | 'not_found' | 'offline',
    message: string,
    readonly currentRev: number | null = null,
  ) {
    super(message);
  }
}

export interface ServerFile {
  content: string;
  rev: number;
}

export interface FeedChange {
  path: string;
  rev: number;
  deleted: boolean;
  content?: string;
}

/** A feed change as the protocol carries it to a client. */
export function toChange(c: FeedChange): Change {
  return c.deleted
    ? { path: c.path, rev: c.rev, deleted: true, size: 0, contentHash: '', modifiedAt: 0 }
    : { path: c.path, rev: c.rev, deleted: false, size: c.content!.length, contentHash: hashOf(c.content!), modifiedAt: 0 };
}

/** One answer of the feed: the changes after a cursor and the next cursor, or reset when the cursor is no longer known. */
export interface FeedPage {
  changes: FeedChange[];
  cursor: string;
  reset?: boolean;
}

export class MemServer {
  readonly files = new Map<string, ServerFile>();
  /** Every change in order; a cursor is how many of them the client has seen. */
  readonly log: FeedChange[] = [];
  /** Every content ever replaced or deleted here (the version history keeps them all). */
  readonly history = new Set<string>();
  private rev = 0;

  list(): { files: Map<string, ServerFile>; cursor: string } {
    return { files: new Map(this.files), cursor: String(this.log.length) };
  }

  meta(path: string): ServerFile {
    const f = this.files.get(path);
    if (!f) throw new SimError('not_found', `"${path}" is not on the server.`);
    return { ...f };
  }

  /** Cursors before this no longer known (the server keeps a bounded feed): such a poll answers reset. */
  private oldest = 0;

  changes(cursor: string): FeedPage {
    const at = Number(cursor);
    if (at < this.oldest) return { changes: [], cursor: String(this.log.length), reset: true };
    return { changes: this.log.slice(at), cursor: String(this.log.length) };
  }

  /** Forgets the feed so far: every cursor given out until now answers reset. */
  forgetFeed(): void {
    this.oldest = this.log.length;
  }

  /** The commit rule of fileWrites.checkBase: null base means "new", else the current revision must be the base. */
  commit(path: string, content: string, baseRev: number | null): ServerFile {
    const current = this.files.get(path);
    if (baseRev === null && current) throw new SimError('conflict', `"${path}" already exists.`, current.rev);
    if (baseRev !== null && current?.rev !== baseRev) throw new SimError('conflict', `"${path}" changed.`, current?.rev ?? null);
    // A file where the server has a folder, or below one of its files (no current revision at that path).
    for (const p of this.files.keys())
      if (p.startsWith(`${path}/`) || path.startsWith(`${p}/`)) throw new SimError('conflict', 'shape', null);
    if (current) this.history.add(current.content);
    const f = { content, rev: ++this.rev };
    this.files.set(path, f);
    this.log.push({ path, rev: f.rev, deleted: false, content });
    return { ...f };
  }

  delete(path: string, baseRev: number): number {
    const current = this.files.get(path);
    if (!current) throw new SimError('not_found', `"${path}" is not on the server.`);
    if (current.rev !== baseRev) throw new SimError('conflict', `"${path}" changed.`, current.rev);
    this.history.add(current.content);
    this.files.delete(path);
    const rev = ++this.rev;
    this.log.push({ path, rev, deleted: true });
    return rev;
  }
}

/**
 * One device's long poll of the feed, as the follower runs it: one poll at a time; its answer applied at once, or
 * held back and delivered later, after other answers (a reordered answer).
 */
export class FeedPoll {
  /** A held answer and the cursor its poll was sent from. */
  private held: { page: FeedPage; sentFrom: string } | undefined;

  constructor(
    private readonly server: MemServer,
    private readonly apply: (page: FeedPage, sentFrom: string) => void,
  ) {}

  poll(cursor: string, hold: boolean): void {
    if (this.held) return;
    const page = this.server.changes(cursor);
    if (hold) this.held = { page, sentFrom: cursor };
    else this.apply(page, cursor);
  }

  deliverLate(): void {
    const answer = this.held;
    this.held = undefined;
    if (answer) this.apply(answer.page, answer.sentFrom);
  }

  /** A crash: the answer on its way is never read. */
  forget(): void {
    this.held = undefined;
  }
}
