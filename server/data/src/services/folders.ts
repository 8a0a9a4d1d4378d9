// Folders as a file manager sees them: explicit (empty) folders beside the ones implied by file paths, and whole-subtree delete, copy and move.
import type { CopyRequest, EntriesResponse, FileEntry, FolderChangeResponse, FolderEntry, TreeEntry } from '@mydropbox/shared';
import { MyDropboxError, isInside, parentPath } from '@mydropbox/shared';
import type { FilesRepository } from '../store/filesRepository';
import type { FoldersRepository } from '../store/foldersRepository';
import type { FileWrites } from './fileWrites';
import type { Quota } from './quota';
import type { ChangeFeed } from './changeFeed';

export interface FolderDeps {
  files: FilesRepository;
  folders: FoldersRepository;
  writes: FileWrites;
  quota: Quota;
  /** Told of every folder made or removed: they are in the change feed like files. */
  feed: ChangeFeed;
  now?: () => number;
}

/** A user's files and explicit folders read at one moment; every question about the tree is answered from it. */
class TreeSnapshot {
  private readonly fileByPath: Map<string, FileEntry>;
  private readonly folderByPath: Map<string, FolderEntry>;

  constructor(
    readonly files: FileEntry[],
    readonly folders: FolderEntry[],
  ) {
    this.fileByPath = new Map(files.map((f) => [f.path, f]));
    this.folderByPath = new Map(folders.map((f) => [f.path, f]));
  }

  kindOf(path: string): 'file' | 'folder' | 'none' {
    if (path === '') return 'folder';
    if (this.fileByPath.has(path)) return 'file';
    if (this.folderByPath.has(path)) return 'folder';
    const inside = (p: string) => isInside(p, path);
    return this.files.some((f) => inside(f.path)) || this.folders.some((f) => inside(f.path)) ? 'folder' : 'none';
  }

  filesUnder(dir: string): FileEntry[] {
    return this.files.filter((f) => isInside(f.path, dir));
  }

  /** Explicit folders at or below `dir`. */
  foldersAtOrUnder(dir: string): FolderEntry[] {
    return this.folders.filter((f) => f.path === dir || isInside(f.path, dir));
  }

  entry(path: string): TreeEntry {
    const file = this.fileByPath.get(path);
    if (file) return fileEntry(file);
    let modifiedAt = this.folderByPath.get(path)?.createdAt ?? 0;
    for (const f of this.filesUnder(path)) modifiedAt = Math.max(modifiedAt, f.modifiedAt);
    for (const f of this.foldersAtOrUnder(path)) modifiedAt = Math.max(modifiedAt, f.createdAt);
    const createdAt = this.folderByPath.get(path)?.createdAt ?? modifiedAt;
    return { kind: 'folder', path, size: 0, contentHash: null, rev: null, modifiedAt, createdAt };
  }

  children(dir: string): TreeEntry[] {
    const prefix = dir === '' ? '' : `${dir}/`;
    const out = new Map<string, TreeEntry>();
    const folderNames = new Set<string>();
    const visit = (path: string, isFile: boolean) => {
      if (!path.startsWith(prefix) || path === dir) return;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0 && isFile) out.set(path, fileEntry(this.fileByPath.get(path)!));
      else folderNames.add(prefix + (slash < 0 ? rest : rest.slice(0, slash)));
    };
    for (const f of this.files) visit(f.path, true);
    for (const f of this.folders) visit(f.path, false);
    // A file committed where an explicit folder was (by a sync client) wins: one name, one thing.
    for (const name of folderNames) if (!out.has(name)) out.set(name, this.entry(name));
    return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

function fileEntry(f: FileEntry): TreeEntry {
  return {
    kind: 'file',
    path: f.path,
    size: f.size,
    contentHash: f.contentHash,
    rev: f.rev,
    modifiedAt: f.modifiedAt,
    createdAt: f.modifiedAt,
    ...(f.device ? { device: f.device } : {}),
  };
}

function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let p = parentPath(path); p !== ''; p = parentPath(p)) out.push(p);
  return out;
}

function rebase(path: string, from: string, to: string): string {
  return to + path.slice(from.length);
}

export class Folders {
  private readonly now: () => number;

  constructor(private readonly d: FolderDeps) {
    this.now = d.now ?? Date.now;
  }

  async entries(owner: string, path: string, depth: 0 | 1): Promise<EntriesResponse> {
    // The common case (a file's metadata) costs one indexed row, not a walk of the whole tree.
    const file = path === '' ? undefined : await this.d.files.getLive(owner, path);
    if (file) return { entry: fileEntry(file), children: [] };
    const tree = await this.snapshot(owner);
    const kind = tree.kindOf(path);
    if (kind === 'none') throw new MyDropboxError('not_found', `There is no file or folder "${path}".`);
    return { entry: tree.entry(path), children: kind === 'folder' && depth === 1 ? tree.children(path) : [] };
  }

  list(owner: string): Promise<FolderEntry[]> {
    return this.d.folders.list(owner);
  }

  /** Makes `path` and any missing parents; a file at the path or above it is a conflict. */
  async create(owner: string, path: string): Promise<{ folder: FolderEntry; created: boolean }> {
    const blocking = await this.d.files.liveAmong(owner, [path, ...ancestorsOf(path)]);
    if (blocking.length) {
      throw new MyDropboxError('conflict', `"${blocking[0].path}" is a file, so the folder "${path}" cannot be made there.`, {
        currentRev: blocking[0].rev,
      });
    }
    const existing = await this.d.folders.get(owner, path);
    if (existing) return { folder: existing, created: false };
    const createdAt = this.now();
    await this.addFolders(owner, [...ancestorsOf(path).reverse(), path], createdAt);
    return { folder: (await this.d.folders.get(owner, path)) ?? { path, createdAt }, created: true };
  }

  /** Deletes a folder with everything in it; each file leaves a tombstone in the change feed. */
  async delete(owner: string, path: string): Promise<FolderChangeResponse> {
    const tree = await this.snapshot(owner);
    if (tree.kindOf(path) !== 'folder' || path === '') throw this.notAFolder(path, tree.kindOf(path));
    return { path, files: await this.removeSubtree(owner, tree, path) };
  }

  copy(owner: string, req: CopyRequest): Promise<FolderChangeResponse> {
    return this.duplicate(owner, req, false);
  }

  move(owner: string, req: CopyRequest): Promise<FolderChangeResponse> {
    return this.duplicate(owner, req, true);
  }

  private async duplicate(owner: string, req: CopyRequest, andDelete: boolean): Promise<FolderChangeResponse> {
    const { from, to } = req;
    if (from === to || isInside(to, from)) {
      throw new MyDropboxError('invalid_request', `"${to}" is "${from}" or inside it; a folder cannot be copied or moved into itself.`);
    }
    let tree = await this.snapshot(owner);
    if (tree.kindOf(from) !== 'folder' || from === '') throw this.notAFolder(from, tree.kindOf(from));
    const blocking = await this.d.files.liveAmong(owner, ancestorsOf(to));
    if (blocking.length) throw new MyDropboxError('conflict', `"${blocking[0].path}" is a file, so "${to}" cannot be made inside it.`);
    const files = tree.filesUnder(from);
    const targetKind = tree.kindOf(to);
    if (targetKind !== 'none' && !req.overwrite) {
      throw new MyDropboxError('conflict', `"${to}" already exists; choose another name or ask to overwrite it.`);
    }
    if (!andDelete) {
      const incoming = files.reduce((sum, f) => sum + f.size, 0);
      const replaced =
        targetKind === 'file' ? tree.entry(to).size : targetKind === 'folder' ? tree.filesUnder(to).reduce((sum, f) => sum + f.size, 0) : 0;
      await this.d.quota.checkCommit(owner, replaced, incoming);
    }
    if (targetKind === 'file') await this.d.writes.delete(owner, to);
    if (targetKind === 'folder') {
      await this.removeSubtree(owner, tree, to);
      tree = await this.snapshot(owner);
    }
    const createdAt = this.now();
    const explicit = tree.foldersAtOrUnder(from).map((f) => rebase(f.path, from, to));
    await this.addFolders(owner, [...ancestorsOf(to).reverse(), to, ...explicit], createdAt);
    for (const f of files) {
      const target = rebase(f.path, from, to);
      if (andDelete) await this.d.writes.move(owner, { from: f.path, to: target, baseRev: f.rev, overwrite: true });
      else await this.d.writes.copy(owner, { from: f.path, to: target, baseRev: f.rev, overwrite: true });
    }
    if (andDelete)
      await this.removeFolders(
        owner,
        tree.foldersAtOrUnder(from).map((f) => f.path),
      );
    return { path: to, files: files.length };
  }

  private async removeSubtree(owner: string, tree: TreeSnapshot, path: string): Promise<number> {
    const files = tree.filesUnder(path);
    for (const f of files) {
      try {
        await this.d.writes.delete(owner, f.path);
      } catch (err) {
        // Deleted meanwhile by another client: the goal is reached all the same.
        if (!MyDropboxError.is(err, 'not_found')) throw err;
      }
    }
    await this.removeFolders(
      owner,
      tree.foldersAtOrUnder(path).map((f) => f.path),
    );
    return files.length;
  }

  /** Folder rows take sequence numbers from the series file commits use, so they change under the same per-user lock. */
  private async addFolders(owner: string, paths: string[], createdAt: number): Promise<void> {
    if ((await this.d.writes.locked(owner, () => this.d.folders.addMissing(owner, paths, createdAt))) > 0) this.d.feed.notify(owner);
  }

  private async removeFolders(owner: string, paths: string[]): Promise<void> {
    if ((await this.d.writes.locked(owner, () => this.d.folders.remove(owner, paths))) > 0) this.d.feed.notify(owner);
  }

  private async snapshot(owner: string): Promise<TreeSnapshot> {
    const [files, folders] = await Promise.all([this.d.files.listLive(owner), this.d.folders.list(owner)]);
    return new TreeSnapshot(files, folders);
  }

  private notAFolder(path: string, kind: 'file' | 'folder' | 'none'): MyDropboxError {
    if (path === '') return new MyDropboxError('forbidden', 'The top folder itself cannot be deleted, copied or moved.');
    if (kind === 'file') return new MyDropboxError('conflict', `"${path}" is a file, not a folder; use the file endpoints for it.`);
    return new MyDropboxError('not_found', `There is no folder "${path}".`);
  }
}
