// Turns a user's flat file list into what one folder page shows: its subfolders, its files and the breadcrumbs.
import { isInside, type FileEntry } from '@mydropbox/shared';

export interface FolderRow {
  name: string;
  dir: string;
  fileCount: number;
  size: number;
  modifiedAt: number;
}

export interface FileRow {
  name: string;
  path: string;
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
  /** Whether the folder exists at all: the top always does, a subfolder only while it holds files. */
  exists: boolean;
}

const byName = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** `dir` is a normalised folder path, '' for the top. */
export function folderView(entries: readonly FileEntry[], dir: string): FolderView {
  const folders = new Map<string, FolderRow>();
  const files: FileRow[] = [];
  const prefix = dir === '' ? '' : `${dir}/`;
  let exists = dir === '';
  for (const entry of entries) {
    if (!isInside(entry.path, dir)) continue;
    exists = true;
    const rest = entry.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) {
      files.push({ name: rest, path: entry.path, size: entry.size, modifiedAt: entry.modifiedAt });
      continue;
    }
    const name = rest.slice(0, slash);
    const row = folders.get(name) ?? { name, dir: prefix + name, fileCount: 0, size: 0, modifiedAt: 0 };
    row.fileCount++;
    row.size += entry.size;
    row.modifiedAt = Math.max(row.modifiedAt, entry.modifiedAt);
    folders.set(name, row);
  }
  return {
    folders: [...folders.values()].sort((a, b) => byName.compare(a.name, b.name)),
    files: files.sort((a, b) => byName.compare(a.name, b.name)),
    exists,
  };
}

/** "All files › a › b", each part linking to its folder. */
export function breadcrumbs(dir: string): Crumb[] {
  const crumbs: Crumb[] = [{ name: 'All files', dir: '' }];
  if (dir === '') return crumbs;
  const parts = dir.split('/');
  parts.forEach((name, i) => crumbs.push({ name, dir: parts.slice(0, i + 1).join('/') }));
  return crumbs;
}
