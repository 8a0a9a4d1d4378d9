// A Map of path -> file entry that stores the entries in typed columns instead of one object per file (W6: 100,000 files).
//
// Each file costs a Map slot, its path and about 100 bytes of columns (size, mtime, inode, revision,
// the content hash and the first block hash as 32 raw bytes each) instead of an object, a block
// array and two 64-character hex strings (about 340 bytes). `get` builds a fresh entry object each
// time, so callers must not mutate what they get and expect it stored (nothing in the engine does).

import { isRacy, type StatLike } from './hasher';

/** What the three trees hold: local (blocks, ino), synced (blocks, ino, rev) and remote (rev). */
export interface CompactEntry {
  size: number;
  mtime?: number;
  ino?: number;
  rev?: number;
  ctime?: number;
  hashedAt?: number;
  contentHash: string;
  blocks?: string[];
  /** The executable bit: part of what a file is, compared with its content. */
  executable?: boolean;
}

const NUMS = 6; // size, mtime, ino, rev, ctime, hashedAt
/** Snapshots written before ctime and hashedAt had these columns; they load with both unknown. */
const OLD_NUMS = 4;
const HASHES = 2; // contentHash, blocks[0]
const HEX64 = /^[0-9a-f]{64}$/;
const NO_BLOCKS = 0xffffffff;

export class CompactTree<E extends CompactEntry> implements Map<string, E> {
  private slots = new Map<string, number>();
  private paths: (string | undefined)[] = [];
  private nums = new Float64Array(0);
  private hashes = Buffer.alloc(0);
  private blockCounts = new Uint32Array(0);
  private readonly free: number[] = [];
  /** What does not fit the columns: hashes that are not 64 hex digits, the blocks after the first. */
  private readonly oddHashes = new Map<number, [string, string[] | undefined]>();
  private readonly moreBlocks = new Map<number, string[]>();
  /** The slots of executable files (few): kept beside the columns. */
  private readonly exec = new Set<number>();
  /** Bumped by every change of the content, so a comparison's answer can be remembered until either tree changes. */
  private version = 0;
  /** This tree was found (or made) equal in paths, content hashes and revisions to `other` at these versions. */
  private sameAs: { other: CompactTree<CompactEntry>; mine: number; theirs: number } | undefined;

  /** `intern` may hand back an equal string someone else already holds, so 100,000 paths are stored once. */
  constructor(private readonly intern?: (p: string) => string | undefined) {}

  get size(): number {
    return this.slots.size;
  }

  get [Symbol.toStringTag](): string {
    return 'CompactTree';
  }

  has(p: string): boolean {
    return this.slots.has(p);
  }

  /** The stored string equal to `p` (to share it), if any. */
  canonical(p: string): string | undefined {
    const slot = this.slots.get(p);
    return slot === undefined ? undefined : this.paths[slot];
  }

  get(p: string): E | undefined {
    const slot = this.slots.get(p);
    return slot === undefined ? undefined : this.read(slot);
  }

  set(p: string, e: E): this {
    this.write(this.slotFor(p), e);
    return this;
  }

  delete(p: string): boolean {
    const slot = this.slots.get(p);
    if (slot === undefined) return false;
    this.version++;
    this.slots.delete(p);
    this.paths[slot] = undefined;
    this.oddHashes.delete(slot);
    this.moreBlocks.delete(slot);
    this.exec.delete(slot);
    this.free.push(slot);
    return true;
  }

  clear(): void {
    this.version++;
    this.slots.clear();
    this.paths = [];
    this.free.length = 0;
    this.oddHashes.clear();
    this.moreBlocks.clear();
    this.exec.clear();
    this.nums = new Float64Array(0);
    this.hashes = Buffer.alloc(0);
    this.blockCounts = new Uint32Array(0);
  }

  keys(): MapIterator<string> {
    return this.slots.keys();
  }

  *values(): MapIterator<E> {
    for (const slot of this.slots.values()) yield this.read(slot);
  }

  *entries(): MapIterator<[string, E]> {
    for (const [p, slot] of this.slots) yield [p, this.read(slot)];
  }

  [Symbol.iterator](): MapIterator<[string, E]> {
    return this.entries();
  }

  forEach(fn: (value: E, key: string, map: Map<string, E>) => void, thisArg?: unknown): void {
    for (const [p, slot] of this.slots) fn.call(thisArg, this.read(slot), p, this);
  }

  /**
   * Copies the entry at `p` into `into` without building it (no hex round trip: the no-change rescan
   * does this for every file) when its size, mtime and inode are `stat`'s. Stored without `rev`, as a local entry.
   */
  copyIfSameStat<F extends CompactEntry>(p: string, stat: StatLike, into: CompactTree<F>): boolean {
    if (!this.statMatches(p, stat)) return false;
    this.copyTo(p, into);
    return true;
  }

  /** Whether `p` is here with exactly this stat and not racily clean: the scanner's "unchanged" test, as hasher.trustStat, on the columns. */
  statMatches(p: string, stat: StatLike): boolean {
    const slot = this.slots.get(p);
    if (slot === undefined) return false;
    const n = slot * NUMS;
    const ctime = this.nums[n + 4]!;
    return (
      this.nums[n] === stat.size &&
      this.nums[n + 1] === stat.mtimeMs &&
      this.nums[n + 2] === stat.ino &&
      (Number.isNaN(ctime) || ctime === stat.ctimeMs) &&
      !isRacy({ mtime: this.nums[n + 1]!, hashedAt: this.nums[n + 5]! })
    );
  }

  /** Copies the entry at `p` (which must be here) into `into` on the raw columns, without `rev`, as a local entry. */
  copyTo<F extends CompactEntry>(p: string, into: CompactTree<F>): void {
    const slot = this.slots.get(p)!;
    const to = into.slotFor(p);
    const n = slot * NUMS;
    const m = to * NUMS;
    into.nums[m] = this.nums[n]!;
    into.nums[m + 1] = this.nums[n + 1]!;
    into.nums[m + 2] = this.nums[n + 2]!;
    into.nums[m + 3] = NaN;
    into.nums[m + 4] = this.nums[n + 4]!;
    into.nums[m + 5] = this.nums[n + 5]!;
    into.blockCounts[to] = this.blockCounts[slot]!;
    this.hashes.copy(into.hashes, to * HASHES * 32, slot * HASHES * 32, (slot + 1) * HASHES * 32);
    const odd = this.oddHashes.get(slot);
    if (odd) into.oddHashes.set(to, odd);
    else into.oddHashes.delete(to);
    const more = this.moreBlocks.get(slot);
    if (more) into.moreBlocks.set(to, more);
    else into.moreBlocks.delete(to);
    if (this.exec.has(slot)) into.exec.add(to);
    else into.exec.delete(to);
  }

  /** Where `p`'s entry lives in the columns (stable until `p` is deleted): an overlay keys its marks on it. */
  slotOf(p: string): number | undefined {
    return this.slots.get(p);
  }

  /** Every path with its slot, in insertion order. */
  slotEntries(): MapIterator<[string, number]> {
    return this.slots.entries();
  }

  /**
   * True when all three trees hold `p` with the same content hash and the server's revision is the synced
   * one: exactly the case where the planner does nothing, decided on the raw bytes, without building entries.
   */
  static inSync(
    p: string,
    local: CompactTree<CompactEntry>,
    remote: CompactTree<CompactEntry>,
    synced: CompactTree<CompactEntry>,
  ): boolean {
    const l = local.slots.get(p);
    const s = synced.slots.get(p);
    if (l === undefined || s === undefined || local.oddHashes.has(l)) return false;
    if (local.exec.has(l) !== synced.exec.has(s)) return false;
    if (!CompactTree.remoteAgrees(p, remote, synced)) return false;
    const lh = l * HASHES * 32;
    const sh = s * HASHES * 32;
    for (let i = 0; i < 32; i++) if (local.hashes[lh + i] !== synced.hashes[sh + i]) return false;
    return true;
  }

  /** The server's side of inSync: `remote` holds `p` with the synced content hash and revision (raw columns). */
  static remoteAgrees(p: string, remote: CompactTree<CompactEntry>, synced: CompactTree<CompactEntry>): boolean {
    const r = remote.slots.get(p);
    const s = synced.slots.get(p);
    if (r === undefined || s === undefined || remote.oddHashes.has(r) || synced.oddHashes.has(s)) return false;
    if (remote.exec.has(r) !== synced.exec.has(s)) return false;
    const remoteRev = remote.nums[r * NUMS + 3]!;
    const syncedRev = synced.nums[s * NUMS + 3]!;
    if (Number.isNaN(remoteRev) || Number.isNaN(syncedRev) || remoteRev !== syncedRev) return false;
    const rh = r * HASHES * 32;
    const sh = s * HASHES * 32;
    for (let i = 0; i < 32; i++) if (remote.hashes[rh + i] !== synced.hashes[sh + i]) return false;
    return true;
  }

  /**
   * Makes this tree the server's side of `synced`: the same paths, content hashes and revisions (the
   * rows the server holds if nothing changed since), without blocks or inodes, mtime rounded as sent.
   */
  resetToRemoteView(synced: CompactTree<CompactEntry>): void {
    // Slot for slot, so the map and the columns are copied whole rather than entry by entry (a restart
    // does this for 100,000 files). The keys are `synced`'s own strings, already the ones to share.
    this.clear();
    this.slots = new Map(synced.slots);
    this.paths = synced.paths.slice();
    for (const slot of synced.free) this.free.push(slot);
    this.nums = new Float64Array(synced.nums);
    for (let n = 0; n < this.nums.length; n += NUMS) {
      this.nums[n + 1] = Math.round(this.nums[n + 1]!);
      this.nums[n + 2] = NaN;
      this.nums[n + 4] = NaN;
      this.nums[n + 5] = NaN;
    }
    // The block-hash half of each entry comes along unused: a remote entry has no blocks (NO_BLOCKS).
    this.hashes = Buffer.from(synced.hashes);
    this.blockCounts = new Uint32Array(synced.blockCounts.length).fill(NO_BLOCKS);
    for (const [slot, odd] of synced.oddHashes) this.oddHashes.set(slot, [odd[0], undefined]);
    for (const slot of synced.exec) this.exec.add(slot);
    this.sameAs = { other: synced, mine: this.version, theirs: synced.version };
  }

  /** True when both trees hold the same paths with the same content hashes and revisions. */
  static sameContentAndRevisions(a: CompactTree<CompactEntry>, b: CompactTree<CompactEntry>): boolean {
    if (CompactTree.knownSame(a, b) || CompactTree.knownSame(b, a)) return true;
    if (!CompactTree.compareAll(a, b)) return false;
    a.sameAs = { other: b, mine: a.version, theirs: b.version };
    return true;
  }

  /** Neither tree changed since they were last found (or made) the same. */
  private static knownSame(a: CompactTree<CompactEntry>, b: CompactTree<CompactEntry>): boolean {
    return a.sameAs !== undefined && a.sameAs.other === b && a.sameAs.mine === a.version && a.sameAs.theirs === b.version;
  }

  private static compareAll(a: CompactTree<CompactEntry>, b: CompactTree<CompactEntry>): boolean {
    if (a.size !== b.size) return false;
    for (const [p, x] of a.slots) {
      const y = b.slots.get(p);
      if (y === undefined || a.nums[x * NUMS + 3] !== b.nums[y * NUMS + 3] || a.exec.has(x) !== b.exec.has(y)) return false;
      const ox = a.oddHashes.get(x);
      const oy = b.oddHashes.get(y);
      if (ox || oy) {
        if (a.read(x).contentHash !== b.read(y).contentHash) return false;
        continue;
      }
      for (let i = 0; i < 32; i++) if (a.hashes[x * HASHES * 32 + i] !== b.hashes[y * HASHES * 32 + i]) return false;
    }
    return true;
  }

  /**
   * The tree as bytes: a JSON line (count, paths, what does not fit the columns) and the columns as
   * they are in memory. Reading it back is a copy and one JSON.parse, not one per file.
   */
  toBinary(): Buffer[] {
    const count = this.slots.size;
    const paths: string[] = [];
    const odd: [number, string, string[] | undefined][] = [];
    const more: [number, string[]][] = [];
    const exec: number[] = [];
    const nums = new Float64Array(count * NUMS);
    const hashes = Buffer.alloc(count * HASHES * 32);
    const counts = new Uint32Array(count);
    let i = 0;
    for (const [p, slot] of this.slots) {
      paths.push(p);
      nums.set(this.nums.subarray(slot * NUMS, (slot + 1) * NUMS), i * NUMS);
      this.hashes.copy(hashes, i * HASHES * 32, slot * HASHES * 32, (slot + 1) * HASHES * 32);
      counts[i] = this.blockCounts[slot]!;
      const o = this.oddHashes.get(slot);
      if (o) odd.push([i, o[0], o[1]]);
      const m = this.moreBlocks.get(slot);
      if (m) more.push([i, m]);
      if (this.exec.has(slot)) exec.push(i);
      i++;
    }
    const head = Buffer.from(JSON.stringify({ count, nums: NUMS, paths, odd, more, ...(exec.length ? { exec } : {}) }) + '\n');
    return [
      head,
      Buffer.from(nums.buffer, nums.byteOffset, nums.byteLength),
      hashes,
      Buffer.from(counts.buffer, counts.byteOffset, counts.byteLength),
    ];
  }

  /**
   * Replaces the content with what toBinary wrote; throws on anything that is not exactly that. `head`
   * is its first line (without the newline), `rest` the number of bytes after it, and `read(into, at)`
   * fills `into` from those bytes at offset `at`: the columns go straight into place, with no buffer of
   * the whole file (12 MB at 100,000 files, which stayed resident until a full collection).
   */
  loadBinary(head: string, rest: number, read: (into: Uint8Array, at: number) => void): void {
    const parsed = JSON.parse(head) as {
      count: number;
      nums?: number;
      paths: string[];
      odd: [number, string, string[] | undefined][];
      more: [number, string[]][];
      /** Executable files' entries (snapshots from before the bit was kept have none). */
      exec?: number[];
    };
    const { count, paths } = parsed;
    if (!Number.isInteger(count) || !Array.isArray(paths) || paths.length !== count) throw new Error('bad header');
    const width = parsed.nums ?? OLD_NUMS;
    if (width !== NUMS && width !== OLD_NUMS) throw new Error('bad header');
    const numBytes = count * width * 8;
    const hashBytes = count * HASHES * 32;
    if (rest !== numBytes + hashBytes + count * 4) throw new Error('bad length');
    this.clear();
    const cap = Math.max(1024, count);
    this.nums = new Float64Array(cap * NUMS);
    this.hashes = Buffer.alloc(cap * HASHES * 32);
    this.blockCounts = new Uint32Array(cap);
    if (width === NUMS) read(new Uint8Array(this.nums.buffer, 0, numBytes), 0);
    else {
      const old = new Float64Array(count * width);
      read(new Uint8Array(old.buffer), 0);
      this.nums.fill(NaN);
      for (let i = 0; i < count; i++) this.nums.set(old.subarray(i * width, (i + 1) * width), i * NUMS);
    }
    read(this.hashes.subarray(0, hashBytes), numBytes);
    read(new Uint8Array(this.blockCounts.buffer, 0, count * 4), numBytes + hashBytes);
    for (let i = 0; i < count; i++) {
      const key = this.intern?.(paths[i]!) ?? paths[i]!;
      this.slots.set(key, i);
      this.paths.push(key);
    }
    for (const [i, h, b] of parsed.odd) this.oddHashes.set(i, [h, b ?? undefined]);
    for (const [i, b] of parsed.more) this.moreBlocks.set(i, b);
    for (const i of parsed.exec ?? []) if (Number.isInteger(i) && i >= 0 && i < count) this.exec.add(i);
  }

  /** Makes room for `count` entries at once: growing by doubling to 100,000 leaves as much again in dropped columns. */
  reserve(count: number): void {
    if (count > this.blockCounts.length) this.resize(count);
  }

  /** The slot of `p`, taken (from the free list, else a new one) if `p` is not here yet; the tree counts as changed. */
  private slotFor(p: string): number {
    this.version++;
    let slot = this.slots.get(p);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.grow();
      const key = this.intern?.(p) ?? p;
      this.slots.set(key, slot);
      this.paths[slot] = key;
    }
    return slot;
  }

  private grow(): number {
    const slot = this.paths.length;
    this.paths.push(undefined);
    if (slot >= this.blockCounts.length) this.resize(Math.max(1024, this.blockCounts.length * 2));
    return slot;
  }

  private resize(cap: number): void {
    const nums = new Float64Array(cap * NUMS);
    nums.set(this.nums);
    this.nums = nums;
    const hashes = Buffer.alloc(cap * HASHES * 32);
    this.hashes.copy(hashes);
    this.hashes = hashes;
    const counts = new Uint32Array(cap);
    counts.set(this.blockCounts);
    this.blockCounts = counts;
  }

  private write(slot: number, e: E): void {
    const n = slot * NUMS;
    this.nums[n] = e.size;
    this.nums[n + 1] = e.mtime ?? NaN;
    this.nums[n + 2] = e.ino ?? NaN;
    this.nums[n + 3] = e.rev ?? NaN;
    this.nums[n + 4] = e.ctime ?? NaN;
    this.nums[n + 5] = e.hashedAt ?? NaN;
    this.moreBlocks.delete(slot);
    this.oddHashes.delete(slot);
    if (e.executable) this.exec.add(slot);
    else this.exec.delete(slot);
    const blocks = e.blocks;
    this.blockCounts[slot] = blocks ? blocks.length : NO_BLOCKS;
    if (!HEX64.test(e.contentHash) || (blocks && !blocks.every((b) => HEX64.test(b)))) {
      this.oddHashes.set(slot, [e.contentHash, blocks && [...blocks]]);
      return;
    }
    const h = slot * HASHES * 32;
    this.hashes.write(e.contentHash, h, 32, 'hex');
    if (blocks && blocks.length > 0) this.hashes.write(blocks[0]!, h + 32, 32, 'hex');
    if (blocks && blocks.length > 1) this.moreBlocks.set(slot, blocks.slice(1));
  }

  private read(slot: number): E {
    const n = slot * NUMS;
    const e: CompactEntry = { size: this.nums[n]! } as CompactEntry;
    const mtime = this.nums[n + 1]!;
    const ino = this.nums[n + 2]!;
    const rev = this.nums[n + 3]!;
    const ctime = this.nums[n + 4]!;
    const hashedAt = this.nums[n + 5]!;
    if (!Number.isNaN(mtime)) e.mtime = mtime;
    if (!Number.isNaN(ino)) e.ino = ino;
    if (!Number.isNaN(rev)) e.rev = rev;
    if (!Number.isNaN(ctime)) e.ctime = ctime;
    if (!Number.isNaN(hashedAt)) e.hashedAt = hashedAt;
    if (this.exec.has(slot)) e.executable = true;
    const odd = this.oddHashes.get(slot);
    const count = this.blockCounts[slot]!;
    if (odd) {
      e.contentHash = odd[0];
      if (odd[1]) e.blocks = [...odd[1]];
      return e as E;
    }
    const h = slot * HASHES * 32;
    e.contentHash = this.hashes.toString('hex', h, h + 32);
    if (count !== NO_BLOCKS) {
      e.blocks = count === 0 ? [] : [this.hashes.toString('hex', h + 32, h + 64), ...(this.moreBlocks.get(slot) ?? [])];
    }
    return e as E;
  }
}
