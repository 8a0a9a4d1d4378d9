// Big files this process published, by identity: while an inode's identity holds, its blocks need no second SHA-256.
import fs from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';

/** Entries kept at most (the oldest go first); one is a few hundred bytes plus its block list. */
const MAX_ENTRIES = 10_000;

interface Identity {
  ino: bigint;
  dev: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  blocks: readonly string[];
}

/**
 * Why skipping the hash is sound: an entry is made only after this process wrote the file from
 * verified blocks, fsynced it, renamed it into place and committed its row, and it records the
 * inode's ctime taken after that rename. Any later change to the inode's bytes or metadata (a write,
 * truncate, chmod, utimes, a rename of the file itself) moves its ctime, which user space cannot set
 * back; another file at the path has another inode. A crash empties the map (like the staged blocks
 * this process verified), so after a restart every block is hashed again until it is rewritten here.
 */
export class PublishedHere {
  private readonly files = new Map<string, Identity>();

  /** Called before a rename over `abs` or a removal of it. */
  forget(abs: string): void {
    this.files.delete(abs);
  }

  /** Called after the file at `abs` (made of `blocks`) is renamed into place and its row committed. */
  async remember(abs: string, blocks: readonly string[]): Promise<void> {
    const st = await fs.lstat(abs, { bigint: true });
    this.files.delete(abs);
    this.files.set(abs, { ino: st.ino, dev: st.dev, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, blocks: [...blocks] });
    if (this.files.size > MAX_ENTRIES) this.files.delete(this.files.keys().next().value as string);
  }

  /** Whether the file at `abs`, now of identity `st`, is still exactly `blocks` as this process wrote them. */
  trustsWhole(abs: string, st: BigIntStats, blocks: readonly string[]): boolean {
    const e = this.files.get(abs);
    return e !== undefined && e.blocks.length === blocks.length && e.blocks.every((h, i) => h === blocks[i]) && sameInode(e, st);
  }

  /** Whether block `idx` of the file at `abs`, now of identity `st`, is `hash` without reading it. */
  trusts(abs: string, st: BigIntStats, idx: number, hash: string): boolean {
    const e = this.files.get(abs);
    return e !== undefined && e.blocks[idx] === hash && sameInode(e, st);
  }
}

function sameInode(e: Identity, st: BigIntStats): boolean {
  return e.ino === st.ino && e.dev === st.dev && e.size === st.size && e.mtimeNs === st.mtimeNs && e.ctimeNs === st.ctimeNs;
}
