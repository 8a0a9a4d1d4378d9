// Pack files holding the bytes of kept versions, `<root>/<serverId>/.versions/<username>/<pack id>`.
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDir, writeNewFileDurably } from './durable';
import { writeFull } from './fullIo';

const PACK_ID = /^[0-9a-f]{32}$/;

/**
 * A pack is either a whole replaced file, hard-linked here before its path is renamed over or
 * removed (no byte is copied), or a few blocks copied out of a file about to be patched in place.
 * Usernames never start with '.', so `.versions` is never a user's folder.
 */
export class VersionPacks {
  readonly dir: string;

  constructor(base: string) {
    this.dir = path.join(base, '.versions');
  }

  userDir(owner: string): string {
    return path.join(this.dir, owner);
  }

  file(owner: string, pack: string): string {
    if (!PACK_ID.test(pack)) throw new Error(`not a pack id: ${pack}`);
    return path.join(this.userDir(owner), pack);
  }

  /** Hard-links a live file as a new pack; undefined if the file is not there. Durable once `syncDir` ran. */
  async link(owner: string, source: string): Promise<string | undefined> {
    const pack = newId();
    await this.ensureDir(owner);
    try {
      await fs.link(source, this.file(owner, pack));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
    return pack;
  }

  /** Writes `parts` one after the other into a new pack and fsyncs it; their offsets, in order. */
  async write(owner: string, parts: readonly Buffer[]): Promise<{ pack: string; offsets: number[] }> {
    const pack = newId();
    await this.ensureDir(owner);
    const file = this.file(owner, pack);
    const offsets: number[] = [];
    await writeNewFileDurably(file, async (handle) => {
      let at = 0;
      for (const p of parts) {
        offsets.push(at);
        await writeFull(handle, p, at);
        at += p.length;
      }
    });
    return { pack, offsets };
  }

  /** Makes the packs made since the last call durable (their folder entries). */
  async syncDir(owner: string): Promise<void> {
    await fsyncDir(this.userDir(owner));
  }

  /** The packs on disk of a user. */
  async list(owner: string): Promise<string[]> {
    try {
      return (await fs.readdir(this.userDir(owner))).filter((n) => PACK_ID.test(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Users with a packs folder. */
  async owners(): Promise<string[]> {
    try {
      return (await fs.readdir(this.dir)).filter((n) => !n.startsWith('.'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async remove(owner: string, packs: readonly string[]): Promise<void> {
    for (const p of packs) await fs.rm(this.file(owner, p), { force: true });
    if (packs.length) await this.syncDir(owner).catch(() => undefined);
  }

  async removeOwner(owner: string): Promise<void> {
    await fs.rm(this.userDir(owner), { recursive: true, force: true });
  }

  private async ensureDir(owner: string): Promise<void> {
    const created = await fs.mkdir(this.userDir(owner), { recursive: true });
    if (created !== undefined) {
      await fsyncDir(this.dir);
      await fsyncDir(path.dirname(this.dir));
    }
  }
}

function newId(): string {
  return randomBytes(16).toString('hex');
}
