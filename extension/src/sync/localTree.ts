// The local tree as an overlay on the synced index: a file whose stat matched its index entry costs one byte, not a map slot and columns (W6).
//
// At 100,000 unchanged files a tree of its own was another Map of every path plus ~10 MB of columns,
// all equal to the index's. Here such a file is a mark on the index entry's slot; only files that
// differ from the index (new, changed, written since) are stored. The index must call `pin(p)`
// before it changes or drops `p` (SyncedIndex's beforeChange), so a mark never shows a later entry.
import { CompactTree, type CompactEntry } from './compactTree';
import type { StatLike } from './hasher';
import type { LocalEntry } from './scanner';

export class LocalTree implements Map<string, LocalEntry> {
  /** Files that are not (or no longer) their index entry. */
  private readonly own: CompactTree<LocalEntry>;
  /** One byte per slot of `base`: 1 when the file on disk is that entry (its size, mtime and inode matched). */
  private same = new Uint8Array(0);
  private sameCount = 0;

  /** `base` is the synced index's tree (an empty tree where there is none); paths are stored as its strings. */
  constructor(private readonly base: CompactTree<CompactEntry>) {
    this.own = new CompactTree<LocalEntry>((p) => base.canonical(p));
  }

  get size(): number {
    return this.own.size + this.sameCount;
  }

  get [Symbol.toStringTag](): string {
    return 'LocalTree';
  }

  has(p: string): boolean {
    return this.own.has(p) || this.isSame(p);
  }

  get(p: string): LocalEntry | undefined {
    const mine = this.own.get(p);
    if (mine !== undefined || !this.isSame(p)) return mine;
    const { rev: _rev, ...entry } = this.base.get(p)!; // a local entry has no server revision
    return entry as LocalEntry;
  }

  set(p: string, e: LocalEntry): this {
    this.unmark(p);
    this.own.set(p, e);
    return this;
  }

  delete(p: string): boolean {
    const had = this.unmark(p);
    return this.own.delete(p) || had;
  }

  clear(): void {
    this.own.clear();
    this.same = new Uint8Array(0);
    this.sameCount = 0;
  }

  /** The paths stored as entries of their own (not marks): every path here that may be missing from the index. */
  ownKeys(): MapIterator<string> {
    return this.own.keys();
  }

  *keys(): MapIterator<string> {
    yield* this.own.keys();
    for (const [p, slot] of this.base.slotEntries()) if (this.same[slot] === 1) yield p;
  }

  *values(): MapIterator<LocalEntry> {
    for (const p of this.keys()) yield this.get(p)!;
  }

  *entries(): MapIterator<[string, LocalEntry]> {
    for (const p of this.keys()) yield [p, this.get(p)!];
  }

  [Symbol.iterator](): MapIterator<[string, LocalEntry]> {
    return this.entries();
  }

  forEach(fn: (value: LocalEntry, key: string, map: Map<string, LocalEntry>) => void, thisArg?: unknown): void {
    for (const [p, e] of this.entries()) fn.call(thisArg, e, p, this);
  }

  /** The scanner found `p` with the size, mtime and inode of its index entry: record it as that entry. */
  markIfSameAsBase(p: string, stat: StatLike): boolean {
    if (!this.base.statMatches(p, stat)) return false;
    const slot = this.base.slotOf(p)!;
    this.own.delete(p);
    if (slot >= this.same.length) {
      const grown = new Uint8Array(Math.max(slot + 1, this.same.length * 2, 1024));
      grown.set(this.same);
      this.same = grown;
    }
    if (this.same[slot] !== 1) this.sameCount++;
    this.same[slot] = 1;
    return true;
  }

  /** The scanner's no-change case for a path this tree holds: carried into the next scan's tree `into` without building it. */
  copyIfSameStat(p: string, stat: StatLike, into: LocalTree): boolean {
    if (this.isSame(p)) return into.base === this.base && into.markIfSameAsBase(p, stat);
    if (!this.own.copyIfSameStat(p, stat, into.own)) return false;
    into.unmark(p);
    return true;
  }

  /** The index is about to change or drop `p`: a file marked as its entry keeps that entry, now stored here. */
  pin(p: string): void {
    if (!this.isSame(p)) return;
    this.base.copyTo(p, this.own);
    this.unmark(p);
  }

  /** CompactTree.inSync for this tree: a marked file is the synced entry itself, so only the server's side is compared. */
  inSync(p: string, remote: CompactTree<CompactEntry>, synced: CompactTree<CompactEntry>): boolean {
    if (this.isSame(p) && synced === this.base) return CompactTree.remoteAgrees(p, remote, synced);
    return CompactTree.inSync(p, this.own, remote, synced);
  }

  private isSame(p: string): boolean {
    const slot = this.base.slotOf(p);
    return slot !== undefined && this.same[slot] === 1;
  }

  private unmark(p: string): boolean {
    const slot = this.base.slotOf(p);
    if (slot === undefined || this.same[slot] !== 1) return false;
    this.same[slot] = 0;
    this.sameCount--;
    return true;
  }
}
