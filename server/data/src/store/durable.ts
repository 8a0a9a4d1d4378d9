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
