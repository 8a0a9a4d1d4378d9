// Everything a server process creates is its owner's alone: umask 077, and its state folders 0700.
import fs from 'node:fs';

/**
 * Sets the process umask to 077, so every file and folder created from here on (databases and
 * their journals, stored files, keys, logs) is 0600/0700 whatever the code that creates it asks,
 * and makes each given folder exist with mode 0700 (tightening one an older version left open,
 * which shuts everything below it to other users without walking it).
 */
export function keepFilesPrivate(folders: readonly string[] = []): void {
  process.umask(0o077);
  for (const folder of folders) {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    fs.chmodSync(folder, 0o700);
  }
}
