// What is not synced and why (links, names the server cannot store, unreadable files, unsafe server paths, refused writes): nothing is left out silently.

export type NotSyncedReason =
  | 'symlink' // a symbolic link here: not followed, not synced
  | 'special' // a device, socket or pipe here
  | 'badName' // a name here the server cannot store
  | 'unreadable' // a file or folder here this user cannot read
  | 'badServerPath' // a path or entry from the server that is not safe to write
  | 'linkInPath' // a folder above the path is a link or not a folder: never written through
  | 'failed'; // the server refused it (quota, a name) or writing it failed: retried when it changes

export interface NotSyncedItem {
  /** Relative path as found (or as the server sent it: possibly not a valid path at all). */
  path: string;
  reason: NotSyncedReason;
  /** In words, for a person: what is wrong and, where there is something to do, what. */
  message: string;
}

/** Reasons that concern a local folder and everything below it (nothing under it is deleted or written). */
const COVERS_BELOW: ReadonlySet<NotSyncedReason> = new Set(['symlink', 'special', 'unreadable']);

export function describeLocal(reason: Exclude<NotSyncedReason, 'badServerPath' | 'failed' | 'linkInPath'>, detail?: string): string {
  switch (reason) {
    case 'symlink':
      return 'a symbolic link: links are not synced, and nothing is written through them';
    case 'special':
      return 'not a regular file or folder (a device, socket or pipe): not synced';
    case 'badName':
      return `a name the server cannot store${detail ? ` (${detail})` : ''}; rename it to sync it`;
    case 'unreadable':
      return 'cannot be read here (permissions): nothing under it is synced or deleted until it can be read';
  }
}

/** A path as a person should see it: quoted with escapes when it holds control characters or is not text. */
export function displayPath(p: unknown): string {
  if (typeof p !== 'string') return JSON.stringify(p) ?? String(p);
  return /[\u0000-\u001f\u007f-\u009f]/.test(p) || p === '' ? JSON.stringify(p) : p;
}

/**
 * The engine's list, kept by source so each pass replaces what it re-learns: the scan's findings, the
 * server's bad entries, writes the executor refused, and failures.
 */
export class NotSyncedList {
  readonly local = new Map<string, NotSyncedItem>();
  readonly server = new Map<string, NotSyncedItem>();
  readonly writes = new Map<string, NotSyncedItem>();
  readonly failures = new Map<string, NotSyncedItem>();
  private lastSignature = '';

  /** Whether `p` must be left alone: it or a folder above it is a link, special or unreadable here, or a write to it was refused. */
  blocks(p: string): boolean {
    return this.local.has(p) || this.writes.has(p) || this.folderAbove(p) !== undefined;
  }

  /** Why `p` is not synced, in words (for the path itself or a folder above it), or undefined when nothing keeps it out. */
  reasonFor(p: string): string | undefined {
    const own = this.failures.get(p) ?? this.writes.get(p) ?? this.local.get(p) ?? this.server.get(p);
    if (own) return own.message;
    const above = this.folderAbove(p);
    return above ? `"${above.path}" is ${above.message}` : undefined;
  }

  /**
   * Everything not synced, by path. A path below a folder that is itself listed (a link, special or
   * unreadable) is said by that folder's item, so a write refused below it before the scan saw the
   * folder is not listed a second time.
   */
  items(): NotSyncedItem[] {
    const below = [...this.server.values(), ...this.writes.values(), ...this.failures.values()].filter(
      (i) => this.folderAbove(i.path) === undefined,
    );
    return [...this.local.values(), ...below].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** The nearest listed folder above `p` that covers everything below it, if any. */
  private folderAbove(p: string): NotSyncedItem | undefined {
    if (this.local.size === 0 || typeof p !== 'string') return undefined;
    for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) {
      const above = this.local.get(p.slice(0, i));
      if (above && COVERS_BELOW.has(above.reason)) return above;
    }
    return undefined;
  }

  get size(): number {
    return this.items().length;
  }

  /** True once per change of the list (for the `notSynced` event). */
  changedSinceLastAsked(): boolean {
    const signature = JSON.stringify(this.items().map((i) => [i.path, i.reason, i.message]));
    if (signature === this.lastSignature) return false;
    this.lastSignature = signature;
    return true;
  }
}
