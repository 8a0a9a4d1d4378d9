// Uploaded blocks waiting for a commit: `<root>/<serverId>/.staging/<username>/<hash>`, verified on arrival.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BLOCK_SIZE, MyDropboxError } from '@mydropbox/shared';

const PART = '.part';

/** Small uploaded blocks kept in memory instead of on disk, at most this many bytes per process. */
export const HELD_MAX_BYTES = 64 * 1024 * 1024;
/** Blocks at most this long are kept in memory; bigger ones always go to disk. */
export const HELD_MAX_BLOCK = 1024 * 1024;
/** A held block no commit used within this time is dropped (the client is told to send it again). */
const HELD_MAX_AGE_MS = 15 * 60 * 1000;

/**
 * Staged blocks are not fsynced: a block lost or torn by a crash fails its SHA-256 check when a
 * commit reads it, and the client is told to send it again (`block_missing`).
 */
export class BlockStaging {
  readonly dir: string;
  /** Bytes staged per user, known exactly because this process is the only writer of the folder. */
  private readonly bytes = new Map<string, number>();
  private readonly verified = new Set<string>();
  /**
   * Small verified blocks waiting for a commit, in memory: a batch commit writes them straight into
   * their temp files, with no staging write, read-back or unlink. Losing them in a crash is the same
   * as losing an unsynced staged block: the commit answers `block_missing` and the client resends.
   */
  private readonly held = new Map<string, Map<string, { data: Buffer; at: number }>>();
  private heldTotal = 0;
  private lastStaleCheck = 0;

  constructor(root: string, serverId: number) {
    this.dir = path.join(path.resolve(root), String(serverId), '.staging');
  }

  userDir(owner: string): string {
    return path.join(this.dir, owner);
  }

  blockPath(owner: string, hash: string): string {
    return path.join(this.userDir(owner), hash);
  }

  has(owner: string, hash: string): boolean {
    return this.held.get(owner)?.has(hash) === true || fs.existsSync(this.blockPath(owner, hash));
  }

  /** The bytes of a block held in memory (verified on arrival by this process), if it is. */
  heldBlock(owner: string, hash: string): Buffer | undefined {
    return this.held.get(owner)?.get(hash)?.data;
  }

  /**
   * Keeps a block whose bytes the caller has already checked against `hash` (and the quota) in
   * memory when it is small and there is room, else stages it on disk.
   */
  async hold(owner: string, hash: string, data: Buffer, now = Date.now()): Promise<void> {
    this.dropStale(now);
    if (data.length > HELD_MAX_BLOCK || this.heldTotal + data.length > HELD_MAX_BYTES) return this.stage(owner, hash, data);
    await this.stagedBytes(owner); // counted before this block appears, so it is added exactly once below
    // Checked and added in one turn of the event loop, so two uploads of one block count it once.
    if (this.has(owner, hash)) return;
    let mine = this.held.get(owner);
    if (!mine) this.held.set(owner, (mine = new Map()));
    // A copy: the caller's buffer is often a slice of a whole request body, which must not stay alive for it.
    mine.set(hash, { data: Buffer.from(data), at: now });
    this.heldTotal += data.length;
    this.bytes.set(owner, (this.bytes.get(owner) ?? 0) + data.length);
  }

  private dropHeld(owner: string, hash: string): boolean {
    const mine = this.held.get(owner);
    const entry = mine?.get(hash);
    if (!mine || !entry) return false;
    mine.delete(hash);
    if (mine.size === 0) this.held.delete(owner);
    this.heldTotal -= entry.data.length;
    const known = this.bytes.get(owner);
    if (known !== undefined) this.bytes.set(owner, Math.max(0, known - entry.data.length));
    return true;
  }

  private dropStale(now: number): void {
    if (now - this.lastStaleCheck < 60_000) return; // a walk of every held block per block would make a batch quadratic
    this.lastStaleCheck = now;
    for (const [owner, mine] of this.held) {
      for (const [hash, entry] of mine) if (now - entry.at > HELD_MAX_AGE_MS) this.dropHeld(owner, hash);
    }
  }

  async stagedBytes(owner: string): Promise<number> {
    const known = this.bytes.get(owner);
    if (known !== undefined) return known;
    let total = 0;
    for (const entry of this.held.get(owner)?.values() ?? []) total += entry.data.length;
    try {
      for (const name of await fsp.readdir(this.userDir(owner))) {
        if (name.endsWith(PART)) continue;
        total += (await fsp.stat(path.join(this.userDir(owner), name))).size;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.bytes.set(owner, total);
    return total;
  }

  /**
   * Reads `body` (at most BLOCK_SIZE bytes, else 413) while hashing it, refuses a hash other than
   * `hash` (400), asks `admit(bytes)` (the quota), then writes it with one call and renames it into
   * place. One block in memory is bounded, and one write beats many small ones.
   */
  async receive(owner: string, hash: string, body: Readable, admit: (bytes: number) => Promise<void>): Promise<number> {
    const hasher = createHash('sha256');
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > BLOCK_SIZE) {
        body.resume(); // drain the rest so the 413 reaches the client instead of a reset
        throw new MyDropboxError('payload_too_large', `A block holds at most ${BLOCK_SIZE} bytes.`);
      }
      hasher.update(chunk);
      chunks.push(chunk);
    }
    const actual = hasher.digest('hex');
    if (actual !== hash) {
      throw new MyDropboxError('hash_mismatch', `The block's SHA-256 is ${actual}, not ${hash} as named; send it again.`, { actual });
    }
    await admit(received);
    await this.stage(owner, hash, Buffer.concat(chunks, received));
    return received;
  }

  /**
   * Stages a block whose bytes the caller has already checked against `hash` (and the quota): one
   * write of a temp name, then a rename into place.
   */
  async stage(owner: string, hash: string, data: Buffer): Promise<void> {
    await fsp.mkdir(this.userDir(owner), { recursive: true });
    await this.stagedBytes(owner); // counted before this block appears, so it is added exactly once below
    const partPath = path.join(this.userDir(owner), `${hash}.${randomBytes(6).toString('hex')}${PART}`);
    try {
      await fsp.writeFile(partPath, data, { flag: 'wx' });
      const target = this.blockPath(owner, hash);
      // Checked and renamed in one turn of the event loop, so two uploads of one block count it once.
      if (fs.existsSync(target)) {
        await fsp.rm(partPath, { force: true });
      } else {
        fs.renameSync(partPath, target);
        this.bytes.set(owner, (this.bytes.get(owner) ?? 0) + data.length);
      }
      this.verified.add(target);
    } catch (err) {
      await fsp.rm(partPath, { force: true });
      throw err;
    }
  }

  /**
   * Whether this process wrote `file` after hashing its bytes. Such a block needs no second hash
   * at commit: a torn staged file needs a crash, and a crash also empties this set.
   */
  verifiedThisRun(file: string): boolean {
    return this.verified.has(file);
  }

  /** Drops blocks a commit has made part of a file (they are now held by that file). */
  async consume(owner: string, hashes: Iterable<string>): Promise<void> {
    for (const hash of new Set(hashes)) {
      if (this.dropHeld(owner, hash) && !fs.existsSync(this.blockPath(owner, hash))) continue;
      try {
        const p = this.blockPath(owner, hash);
        const { size } = await fsp.stat(p);
        this.verified.delete(p);
        await fsp.unlink(p);
        const known = this.bytes.get(owner);
        if (known !== undefined) this.bytes.set(owner, Math.max(0, known - size));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  /** At start: removes torn uploads and blocks no commit used within `maxAgeMs`. */
  async sweep(maxAgeMs: number, now = Date.now()): Promise<number> {
    await fsp.mkdir(this.dir, { recursive: true });
    let removed = 0;
    for (const user of await fsp.readdir(this.dir)) {
      const dir = path.join(this.dir, user);
      for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
        const p = path.join(dir, name);
        const st = await fsp.stat(p).catch(() => undefined);
        if (name.endsWith(PART) || !st || now - st.mtimeMs > maxAgeMs) {
          await fsp.rm(p, { force: true, recursive: true });
          removed++;
        }
      }
    }
    this.bytes.clear();
    this.verified.clear();
    this.held.clear();
    this.heldTotal = 0;
    return removed;
  }
}
