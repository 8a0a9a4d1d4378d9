// The users' real files on disk, `<root>/<serverId>/<username>/<path>`, and the temp files new versions are built in.
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { MyDropboxError, parentPath } from '@mydropbox/shared';
import { fsyncChain, fsyncDir, mkdirDurable } from './durable';
import { inParallel } from '../inParallel';
import { writeFull } from './fullIo';
import { crashPoint } from '../crashPoints';

export type EntryKind = 'file' | 'dir' | 'none';

/** The longest path the system opens (Linux PATH_MAX is 4096 with its terminating zero byte). */
export const SYSTEM_PATH_MAX_BYTES = 4095;

/**
 * Temp files live in `<root>/<serverId>/.tmp`, not beside the target: any name beside the target
 * could also be a user's file name, and a start-up sweep must never delete user data. The folder
 * is on the same filesystem, so the final rename is still atomic. Usernames never start with '.'.
 */
export class UserFiles {
  readonly base: string;
  readonly tmpDir: string;

  constructor(root: string, serverId: number) {
    this.base = path.join(path.resolve(root), String(serverId));
    this.tmpDir = path.join(this.base, '.tmp');
  }

  userDir(owner: string): string {
    return path.join(this.base, owner);
  }

  /**
   * The absolute path of a normalised user path; refuses anything that would leave the user's folder,
   * and a path too long for the system once under this server's folders (a 400, not ENAMETOOLONG).
   */
  abs(owner: string, rel: string): string {
    const dir = this.userDir(owner);
    const full = path.join(dir, rel);
    if (!full.startsWith(dir + path.sep)) throw new MyDropboxError('invalid_path', 'The path leaves your folder.');
    if (Buffer.byteLength(full) > SYSTEM_PATH_MAX_BYTES) {
      const room = SYSTEM_PATH_MAX_BYTES - Buffer.byteLength(dir) - 1;
      throw new MyDropboxError(
        'invalid_path',
        `The path is ${Buffer.byteLength(rel)} bytes long; this server stores paths of at most ${room} bytes. Shorten its folder or file names.`,
        { maxPathBytes: room },
      );
    }
    return full;
  }

  /** Removes temp files left by a crash; called before the server accepts requests. */
  async sweepTemp(): Promise<number> {
    await fs.mkdir(this.tmpDir, { recursive: true });
    const names = await fs.readdir(this.tmpDir);
    await Promise.all(names.map((n) => fs.rm(path.join(this.tmpDir, n), { force: true, recursive: true })));
    return names.length;
  }

  /** `readable`: opened for reading too (an upload session copies a repeated block from its own file). */
  async createTemp(readable = false): Promise<{ tempPath: string; handle: fs.FileHandle }> {
    const tempPath = path.join(this.tmpDir, `${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`);
    const handle = await fs.open(tempPath, readable ? 'wx+' : 'wx');
    return { tempPath, handle };
  }

  /** A temp file holding `data`; not fsynced unless `durable` (a write journal may already hold the bytes). */
  async writeTemp(data: Buffer, durable = false): Promise<string> {
    const { tempPath, handle } = await this.createTemp();
    await fill(handle, tempPath, data, durable);
    return tempPath;
  }

  /**
   * Creates `rel` holding `data` (not fsynced: a write journal holds the bytes); false, writing
   * nothing, if something is already there (a leftover of a crash: the caller goes through a temp file).
   */
  async writeNew(owner: string, rel: string, data: Buffer): Promise<boolean> {
    const target = this.abs(owner, rel);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(target, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    await fill(handle, target, data, false);
    return true;
  }

  async kind(owner: string, rel: string): Promise<EntryKind> {
    try {
      const st = await fs.lstat(this.abs(owner, rel));
      return st.isDirectory() ? 'dir' : 'file';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return 'none';
      throw err;
    }
  }

  /** Removes a folder that holds only (nested) empty folders; false if any file is inside. */
  async removeEmptyTree(owner: string, rel: string): Promise<boolean> {
    const removeIfEmpty = async (dir: string): Promise<boolean> => {
      const entries = await fs.readdir(dir, { withFileTypes: true });
      for (const e of entries) {
        if (!e.isDirectory() || !(await removeIfEmpty(path.join(dir, e.name)))) return false;
      }
      await fs.rmdir(dir);
      return true;
    };
    const abs = this.abs(owner, rel);
    const removed = await removeIfEmpty(abs);
    if (removed) await fsyncDir(path.dirname(abs));
    return removed;
  }

  /**
   * Makes the folders above `rel` exist, durably unless `durable` is false (a write journal's
   * checkpoint then fsyncs them). A non-folder in the way is a file left by a crash without a live
   * row (the caller has checked the rows), so it is removed.
   */
  async ensureParent(owner: string, rel: string, durable = true): Promise<void> {
    const created = await fs.mkdir(this.userDir(owner), { recursive: true });
    if (created !== undefined && durable) await fsyncDir(this.base);
    const removeInTheWay = async (abs: string) => {
      await fs.unlink(abs);
      return true;
    };
    await mkdirDurable(this.userDir(owner), parentPath(rel), removeInTheWay, durable);
  }

  /** Moves a finished, fsynced temp file over `rel` and makes the rename durable (its folder and every one above). */
  async publish(tempPath: string, owner: string, rel: string): Promise<void> {
    const target = this.abs(owner, rel);
    await fs.rename(tempPath, target);
    crashPoint('rename-done');
    await fsyncChain(this.base, [path.dirname(target)]);
  }

  /**
   * Moves many finished temp files into place, then makes the renames durable with one fsync per
   * folder (and per folder above), except for files a write journal covers (its checkpoint does that).
   */
  async publishMany(owner: string, items: readonly { tempPath: string; path: string; journaled?: boolean }[]): Promise<void> {
    const dirs = new Set<string>();
    await inParallel(items, 32, async (t) => {
      const target = this.abs(owner, t.path);
      await fs.rename(t.tempPath, target);
      crashPoint('rename-done');
      if (!t.journaled) dirs.add(path.dirname(target));
    });
    if (dirs.size) await fsyncChain(this.base, dirs);
  }

  /** Removes `rel` (gone already is fine) and every folder above it that is left empty. */
  async remove(owner: string, rel: string): Promise<void> {
    const userDir = this.userDir(owner);
    let target = this.abs(owner, rel);
    try {
      await fs.unlink(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let dir = path.dirname(target);
    while (dir !== userDir && dir.startsWith(userDir + path.sep)) {
      try {
        await fs.rmdir(dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') break;
        if (code !== 'ENOENT') throw err;
      }
      target = dir;
      dir = path.dirname(dir);
    }
    try {
      await fsyncDir(path.dirname(target));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /** Overwrites byte ranges of the live file `rel` in place and fsyncs it; false if there is no such file. */
  async patch(owner: string, rel: string, parts: readonly { offset: number; data: Buffer }[]): Promise<boolean> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.abs(owner, rel), 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
      throw err;
    }
    try {
      await writeParts(handle, parts);
    } finally {
      await handle.close();
    }
    return true;
  }

  async open(owner: string, rel: string): Promise<fs.FileHandle> {
    return fs.open(this.abs(owner, rel), 'r');
  }
}

/** Writes each part at its offset, then fsyncs the file's data. */
export async function writeParts(h: fs.FileHandle, parts: readonly { offset: number; data: Buffer }[]): Promise<void> {
  for (const p of parts) await writeFull(h, p.data, p.offset);
  await h.datasync();
}

/** Writes `data` into a file just created, fsyncs it if `durable`, and closes it; on failure the file is removed. */
async function fill(handle: fs.FileHandle, file: string, data: Buffer, durable: boolean): Promise<void> {
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
    await handle.close();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.rm(file, { force: true });
    throw err;
  }
}
