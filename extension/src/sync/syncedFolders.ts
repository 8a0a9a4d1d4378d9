// The folders both sides last agreed on, kept in the state directory (folders.json) beside the synced index.
import fs from 'node:fs';
import path from 'node:path';

const FILE = 'folders.json';

/** Losing it costs nothing but a re-check: a folder on both sides is recorded again, and one on one side only is then taken as new (made, not removed). */
export function loadSyncedFolders(stateDir: string): Set<string> {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(stateDir, FILE), 'utf8')) as unknown;
    return new Set(Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string') : []);
  } catch {
    return new Set();
  }
}

/** Through a temp file and a rename, so a crash leaves the old list or the new one. */
export function saveSyncedFolders(stateDir: string, folders: ReadonlySet<string>): void {
  const file = path.join(stateDir, FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify([...folders].sort()));
  fs.renameSync(`${file}.tmp`, file);
}
