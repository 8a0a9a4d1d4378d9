// Watches the sync folder and hands over changed paths in short batches (no waiting for writes to settle).
//
// Not chokidar: at 100,000 files chokidar 4 holds one watcher per file (about 700 MB and 19 s to get
// ready here). The kernel already reports every change inside a watched directory, so on Linux we
// watch directories only (inotify, one per folder), and elsewhere the native recursive fs.watch.
import fs from 'node:fs';
import path from 'node:path';

/** Long enough to fold an editor's write-rename-chmod burst into one batch, short enough to keep saves fast. */
export const DEBOUNCE_MS = 30;

export interface WatchBatch {
  files: Set<string>; // relative paths whose file may have been added, changed or removed
  dirs: Set<string>; // relative folders added or removed: look at everything below them
}

export class FolderWatcher {
  private readonly watchers = new Map<string, fs.FSWatcher>(); // relative folder ('' = top) -> its watcher
  private batch: WatchBatch = { files: new Set(), dirs: new Set() };
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly folder: string,
    private readonly isIgnored: (rel: string, isDir: boolean) => boolean,
    private readonly onBatch: (batch: WatchBatch) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * Resolves once every folder is watched, or with `walk: false` (Linux) once the top folder is: the
   * caller's scan then calls watchFolder for each folder before reading it (one walk instead of two).
   */
  async start(opts: { walk?: boolean } = {}): Promise<void> {
    if (process.platform !== 'linux') this.watchDir('', true);
    else if (opts.walk === false) this.watchFolder('');
    else await this.watchTree('');
  }

  /** Watches one folder found by a scan (below the top, elsewhere than Linux, the recursive watch already covers it). */
  watchFolder(rel: string): void {
    if (process.platform !== 'linux' || this.closed || this.watchers.has(rel) || (rel && this.isIgnored(rel, true))) return;
    this.watchDir(rel, false);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private abs(rel: string): string {
    return rel ? path.join(this.folder, ...rel.split('/')) : this.folder;
  }

  /** Watches `rel` and every folder below it; returns the files found (for a folder that just appeared). */
  private async watchTree(rel: string, found?: string[]): Promise<void> {
    if (this.closed || this.watchers.has(rel) || (rel && this.isIgnored(rel, true))) return;
    if (!this.watchDir(rel, false)) return;
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(this.abs(rel), { withFileTypes: true });
    } catch {
      return;
    }
    const subdirs: Promise<void>[] = [];
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) subdirs.push(this.watchTree(child, found));
      else if (found && e.isFile()) found.push(child);
    }
    await Promise.all(subdirs);
  }

  private watchDir(rel: string, recursive: boolean): boolean {
    try {
      const w = fs.watch(this.abs(rel), { recursive, persistent: true }, (_event, name) => {
        if (name === null || name === undefined) return this.rescanSoon(rel);
        const child = String(name).split(path.sep).join('/');
        this.changed(rel ? `${rel}/${child}` : child);
      });
      w.on('error', (err) => {
        this.unwatch(rel);
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'EPERM') this.onError(err);
      });
      this.watchers.set(rel, w);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.onError(err);
      return false;
    }
  }

  private unwatch(rel: string): void {
    for (const [dir, w] of this.watchers) {
      if (dir === rel || (rel === '' ? true : dir.startsWith(rel + '/'))) {
        w.close();
        this.watchers.delete(dir);
      }
    }
  }

  /** Something changed at `rel`: a file, or a folder that appeared or went away. */
  private changed(rel: string): void {
    if (this.closed) return;
    if (this.isIgnored(rel, false) && this.isIgnored(rel, true)) return;
    if (process.platform !== 'linux') {
      this.note('files', rel);
      this.note('dirs', rel);
      return;
    }
    fs.promises.lstat(this.abs(rel)).then(
      async (st) => {
        if (!st.isDirectory()) return this.note('files', rel);
        if (this.watchers.has(rel) || this.isIgnored(rel, true)) return;
        const found: string[] = [];
        await this.watchTree(rel, found);
        this.note('dirs', rel);
        for (const f of found) this.note('files', f);
      },
      () => {
        if (this.watchers.has(rel)) {
          this.unwatch(rel);
          this.note('dirs', rel);
        } else this.note('files', rel);
      },
    );
  }

  private rescanSoon(rel: string): void {
    this.note('dirs', rel);
  }

  private note(kind: keyof WatchBatch, rel: string): void {
    if (this.closed || rel === '') return;
    this.batch[kind].add(rel);
    // A fixed window from the first event, not one that restarts: a file written non-stop still gets looked at.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const batch = this.batch;
      this.batch = { files: new Set(), dirs: new Set() };
      this.onBatch(batch);
    }, DEBOUNCE_MS);
  }
}
