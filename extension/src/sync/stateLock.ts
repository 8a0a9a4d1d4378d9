// One engine per state directory: a lock file naming its owner by pid and process start time, so a reused pid or a zombie never holds it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { MyDropboxError } from '@mydropbox/shared';

interface Holder {
  pid: number;
  /** When the process started (Linux: clock ticks since boot from /proc); a pid reused by another process has another. */
  start?: string;
  host?: string;
}

/** Linux's view of a process: its state letter and start time (undefined: no such process, or not Linux). */
function procStat(pid: number): { state: string; start: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) S ppid …": comm may hold spaces and parentheses, so the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const start = fields[19]; // field 22 of the whole line
  return state && start ? { state, start } : undefined;
}

const HAS_PROC = fs.existsSync('/proc/self/stat');

function me(): Holder {
  return { pid: process.pid, start: procStat(process.pid)?.start, host: os.hostname() };
}

/** Whether the holder still runs: a zombie, a dead process or a pid now used by another process does not. */
function running(h: Holder): boolean {
  // Another machine's lock (a state folder on a shared disk): its processes cannot be seen from here.
  if (h.host !== undefined && h.host !== os.hostname()) return true;
  if (HAS_PROC) {
    const st = procStat(h.pid);
    if (!st || st.state === 'Z' || st.state === 'X') return false;
    return h.start === undefined || st.start === h.start;
  }
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock file's holder; a plain pid is the format of older versions. */
function parse(text: string): Holder | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed) };
  try {
    const h = JSON.parse(trimmed) as Partial<Holder>;
    if (!Number.isInteger(h.pid) || (h.pid as number) <= 0) return undefined;
    return {
      pid: h.pid as number,
      ...(typeof h.start === 'string' ? { start: h.start } : {}),
      ...(typeof h.host === 'string' ? { host: h.host } : {}),
    };
  } catch {
    return undefined;
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Takes the lock or says which process holds it; returns the release function. */
export function acquireStateLock(stateDir: string): () => void {
  fs.mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, 'lock');
  const mine = JSON.stringify(me());
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(file, mine, { flag: 'wx' });
      return () => {
        // Only our own lock: if it was taken over meanwhile (we were judged dead), the new holder keeps it.
        if (readOrUndefined(file) === mine) fs.rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = readOrUndefined(file);
    if (text === undefined) continue;
    const holder = parse(text);
    if (holder && running(holder)) {
      if (holder.pid === process.pid)
        throw new MyDropboxError('invalid_request', `This process already syncs with the state in ${stateDir}.`);
      throw new MyDropboxError(
        'invalid_request',
        `Another MyDropbox sync (process ${holder.pid}) is already using ${stateDir}; stop it first.`,
      );
    }
    // Left by a process that is gone. Moved aside in one step, so of two processes taking it over only one
    // removes it; if what was moved is not what was judged stale (taken over meanwhile), it goes back.
    const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      fs.renameSync(file, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    if (readOrUndefined(aside) !== text) {
      try {
        fs.linkSync(aside, file);
      } catch {
        // someone holds the lock again: theirs stands, and we try again
      }
    }
    fs.rmSync(aside, { force: true });
  }
  throw new MyDropboxError('invalid_request', `Could not take the lock in ${stateDir}; try again.`);
}
