// One engine per state directory: a lock file with the owner's pid, taken over when that process is gone.
import fs from 'node:fs';
import path from 'node:path';
import { MyDropboxError } from '@mydropbox/shared';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock or says which process holds it; returns the release function. */
export function acquireStateLock(stateDir: string): () => void {
  fs.mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, 'lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(file, 'utf8').trim());
      if (holder === process.pid || (Number.isInteger(holder) && holder > 0 && alive(holder))) {
        if (holder === process.pid)
          throw new MyDropboxError('invalid_request', `This process already syncs with the state in ${stateDir}.`);
        throw new MyDropboxError(
          'invalid_request',
          `Another MyDropbox sync (process ${holder}) is already using ${stateDir}; stop it first.`,
        );
      }
      fs.rmSync(file, { force: true }); // left by a process that died
    }
  }
  throw new MyDropboxError('invalid_request', `Could not take the lock in ${stateDir}.`);
}
