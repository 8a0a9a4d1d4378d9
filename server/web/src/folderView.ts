// Turns a user's flat file and folder lists into what one page shows: a folder's rows or search results, sorted, and the breadcrumbs.
import { baseName, isInside, parentPath, type FileEntry, type FolderEntry } from '@mydropbox/shared';

export interface FolderRow {
  name: string;
  dir: string;
  /** The folder holding it (shown beside search results). */
  parent: string;
  fileCount: number;
  size: number;
  modifiedAt: number;
}

export interface FileRow {
  name: string;
  path: string;
  parent: string;
  size: number;
  modifiedAt: number;
}

export interface Crumb {
  name: string;
  dir: string;
}

export interface FolderView {
  folders: FolderRow[];
  files: FileRow[];
  /** Whether the folder exists at all: the top always does, a subfolder while it holds files or was made on purpose. */
  exists: boolean;
}

export type SortKey = 'name' | 'size' | 'modified';
export type SortOrder = 'asc' | 'desc';
export interface Sort {
  key: SortKey;
  order: SortOrder;
}

export const DEFAULT_SORT: Sort = { key: 'name', order: 'asc' };

const byName = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** `dir` is a normalised folder path, '' for the top. Explicit folders show even when empty. */
export function folderView(entries: readonly FileEntry[], dir: string, explicit: readonly FolderEntry[] = []): FolderView {
  const folders = new Map<string, FolderRow>();
  const files: FileRow[] = [];
  const prefix = dir === '' ? '' : `${dir}/`;
  let exists = dir === '';
  const folderRow = (name: string) => {
    let row = folders.get(name);
    if (!row) folders.set(name, (row = { name, dir: prefix + name, parent: dir, fileCount: 0, size: 0, modifiedAt: 0 }));
    return row;
  };
  for (const entry of entries) {
    if (!isInside(entry.path, dir)) continue;
    exists = true;
    const rest = entry.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) {
      files.push({ name: rest, path: entry.path, parent: dir, size: entry.size, modifiedAt: entry.modifiedAt });
      continue;
    }
    const row = folderRow(rest.slice(0, slash));
    row.fileCount++;
    row.size += entry.size;
    row.modifiedAt = Math.max(row.modifiedAt, entry.modifiedAt);
  }
  const fileNames = new Set(files.map((f) => f.name));
  for (const folder of explicit) {
    if (folder.path === dir) exists = true;
    if (!isInside(folder.path, dir)) continue;
    exists = true;
    const name = folder.path.slice(prefix.length).split('/')[0]!;
    // A file committed where an explicit folder was wins: one name, one thing.
    if (fileNames.has(name)) continue;
    const row = folderRow(name);
    row.modifiedAt = Math.max(row.modifiedAt, folder.createdAt);
  }
  return { folders: sortFolders([...folders.values()], DEFAULT_SORT), files: sortFiles(files, DEFAULT_SORT), exists };
}

/** Files and folders anywhere whose name holds `query` (ignoring case and accents), each with the folder it is in. */
export function searchTree(entries: readonly FileEntry[], explicit: readonly FolderEntry[], query: string): FolderView {
  const wanted = fold(query.trim());
  const matches = (path: string) => fold(baseName(path)).includes(wanted);
  const files: FileRow[] = entries
    .filter((e) => matches(e.path))
    .map((e) => ({ name: baseName(e.path), path: e.path, parent: parentPath(e.path), size: e.size, modifiedAt: e.modifiedAt }));
  // Every folder's totals in one pass over the files (each file counts in each folder above it).
  const stats = new Map<string, FolderRow>();
  const statsOf = (dir: string) => {
    let row = stats.get(dir);
    if (!row) stats.set(dir, (row = { name: baseName(dir), dir, parent: parentPath(dir), fileCount: 0, size: 0, modifiedAt: 0 }));
    return row;
  };
  for (const e of entries) {
    for (let p = parentPath(e.path); p !== ''; p = parentPath(p)) {
      const row = statsOf(p);
      row.fileCount++;
      row.size += e.size;
      row.modifiedAt = Math.max(row.modifiedAt, e.modifiedAt);
    }
  }
  for (const f of explicit) {
    for (let p = f.path; p !== ''; p = parentPath(p)) statsOf(p);
    const row = statsOf(f.path);
    row.modifiedAt = Math.max(row.modifiedAt, f.createdAt);
  }
  for (const f of files) stats.delete(f.path);
  const folders = [...stats.values()].filter((row) => matches(row.dir));
  return { folders: sortFolders(folders, DEFAULT_SORT), files: sortFiles(files, DEFAULT_SORT), exists: true };
}

function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLocaleLowerCase('en');
}

/** Reads `?sort=size-desc` and the like; anything else is the default (name, A to Z). */
export function parseSort(value: unknown): Sort {
  if (typeof value !== 'string') return DEFAULT_SORT;
  const m = /^(name|size|modified)-(asc|desc)$/.exec(value);
  return m ? { key: m[1] as SortKey, order: m[2] as SortOrder } : DEFAULT_SORT;
}

function compareBy<T extends { name: string; size: number; modifiedAt: number }>(sort: Sort): (a: T, b: T) => number {
  const sign = sort.order === 'asc' ? 1 : -1;
  return (a, b) => {
    const primary =
      sort.key === 'size' ? a.size - b.size : sort.key === 'modified' ? a.modifiedAt - b.modifiedAt : byName.compare(a.name, b.name);
    return sign * primary || byName.compare(a.name, b.name);
  };
}

export function sortFolders(rows: FolderRow[], sort: Sort): FolderRow[] {
  return rows.sort(compareBy<FolderRow>(sort));
}

export function sortFiles(rows: FileRow[], sort: Sort): FileRow[] {
  return rows.sort(compareBy<FileRow>(sort));
}

/** "All files › a › b", each part linking to its folder. */
export function breadcrumbs(dir: string): Crumb[] {
  const crumbs: Crumb[] = [{ name: 'All files', dir: '' }];
  if (dir === '') return crumbs;
  const parts = dir.split('/');
  parts.forEach((name, i) => crumbs.push({ name, dir: parts.slice(0, i + 1).join('/') }));
  return crumbs;
}

/** Every folder a move can go to: the top, then each folder by path. */
export function allFolders(entries: readonly FileEntry[], explicit: readonly FolderEntry[]): string[] {
  const dirs = new Set<string>(['']);
  for (const e of entries) for (let p = parentPath(e.path); p !== ''; p = parentPath(p)) dirs.add(p);
  for (const f of explicit) for (let p = f.path; p !== ''; p = parentPath(p)) dirs.add(p);
  for (const e of entries) dirs.delete(e.path);
  return [...dirs].sort((a, b) => byName.compare(a, b));
}
