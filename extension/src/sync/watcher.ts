// Watches the sync folder with chokidar and hands over changed paths in short batches (no waiting for writes to settle).
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

/** Long enough to fold an editor's write-rename-chmod burst into one batch, short enough to keep saves fast. */
export const DEBOUNCE_MS = 30;

export interface WatchBatch {
  files: Set<string>; // relative paths whose file may have been added, changed or removed
  dirs: Set<string>; // relative folders added or removed: look at everything below them
}

export class FolderWatcher {
  private watcher: FSWatcher | undefined;
  private batch: WatchBatch = { files: new Set(), dirs: new Set() };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly folder: string,
    private readonly isIgnored: (rel: string, isDir: boolean) => boolean,
    private readonly onBatch: (batch: WatchBatch) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Resolves once chokidar has walked the folder and is watching it. */
  async start(): Promise<void> {
    const w = watch(this.folder, {
      ignoreInitial: true,
      followSymlinks: false,
      persistent: true,
      ignored: (abs, stats) => {
        const rel = this.relative(abs);
        return rel !== '' && this.isIgnored(rel, stats?.isDirectory() ?? false);
      },
    });
    this.watcher = w;
    w.on('add', (p) => this.note('files', p));
    w.on('change', (p) => this.note('files', p));
    w.on('unlink', (p) => this.note('files', p));
    w.on('addDir', (p) => this.note('dirs', p));
    w.on('unlinkDir', (p) => this.note('dirs', p));
    w.on('error', (err) => this.onError(err));
    await new Promise<void>((resolve) => w.once('ready', () => resolve()));
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.watcher?.close();
    this.watcher = undefined;
  }

  private relative(abs: string): string {
    return path.relative(this.folder, abs).split(path.sep).join('/');
  }

  private note(kind: keyof WatchBatch, abs: string): void {
    const rel = this.relative(abs);
    if (rel === '' || rel.startsWith('..')) return;
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
