// The few filesystem steps that make a write survive a crash: fsync of files and of directories.
import fs from 'node:fs/promises';
import path from 'node:path';

/** Makes a rename or unlink inside `dir` durable (the entry lives in the directory, not the file). */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `file` (which must not exist yet), lets `fill` write it and makes its data durable; on any failure the file
 * is removed, so no half-written one is left for a recovery to read. The caller fsyncs the folder when it needs the name.
 */
export async function writeNewFileDurably(file: string, fill: (handle: fs.FileHandle) => Promise<void>): Promise<void> {
  const handle = await fs.open(file, 'wx');
  try {
    await fill(handle);
    await handle.datasync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.rm(file, { force: true });
    throw err;
  }
  await handle.close();
}

/**
 * Creates each missing folder of `rel` under `base`, one level at a time, and (if `durable`)
 * fsyncs the parent of every folder it created. `onNotDir` is asked what to do when a non-folder
 * is in the way: it returns true after removing it (so the level is retried) or throws.
 */
export async function mkdirDurable(base: string, rel: string, onNotDir: (abs: string) => Promise<boolean>, durable = true): Promise<void> {
  if (rel === '') return;
  let cur = base;
  for (const segment of rel.split('/')) {
    const parent = cur;
    cur = path.join(cur, segment);
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.mkdir(cur);
        if (durable) await fsyncDir(parent);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const st = await fs.lstat(cur);
        if (st.isDirectory()) break;
        if (attempt > 0 || !(await onNotDir(cur))) throw err;
      }
    }
  }
}

/**
 * fsyncs each folder in `dirs` and every folder above it up to and including `root`, deepest first.
 * A folder made by a batch whose write journal has not been checkpointed yet is not durable in its
 * parent; a file fsynced into it is durable only once the whole chain is. Folders gone since are skipped.
 */
export async function fsyncChain(root: string, dirs: Iterable<string>): Promise<void> {
  const chain = new Set<string>([root]);
  for (const dir of dirs) {
    for (let d = dir; d.startsWith(root + path.sep) && !chain.has(d); d = path.dirname(d)) chain.add(d);
  }
  const deepestFirst = [...chain].sort((a, b) => b.split(path.sep).length - a.split(path.sep).length);
  for (const d of deepestFirst) {
    await fsyncDir(d).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
