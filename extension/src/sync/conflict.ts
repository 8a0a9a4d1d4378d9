// Names for conflicted copies: where the local version goes when the server holds a different edit of the same file.
import { baseName, parentPath } from '@mydropbox/shared';

/** Characters a device name must not bring into a file name. */
const UNSAFE = /[/\\\u0000-\u001f\u007f-\u009f:*?"<>|]/g;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** "2026-11-26 0815" in the person's local time: what they see in a file manager. */
export function conflictStamp(now: number): string {
  const d = new Date(now);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}${pad(d.getMinutes())}`;
}

/**
 * `dir/name (conflicted copy from <device> 2026-11-26 0815).ext`, or with " 2", " 3", … before the
 * closing parenthesis when `taken` says that name is in use.
 */
export function conflictedCopyPath(path: string, deviceName: string, now: number, taken: (candidate: string) => boolean): string {
  const dir = parentPath(path);
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const device = deviceName.replace(UNSAFE, '-').trim().slice(0, 60) || 'this device';
  const label = `conflicted copy from ${device} ${conflictStamp(now)}`;
  for (let n = 1; ; n++) {
    const candidateName = `${stem} (${label}${n > 1 ? ` ${n}` : ''})${ext}`;
    const candidate = dir ? `${dir}/${candidateName}` : candidateName;
    if (!taken(candidate)) return candidate;
  }
}

const CONFLICT_LABEL = / \(conflicted copy from .+ \d{4}-\d{2}-\d{2} \d{4}( \d+)?\)/;

/** Whether a name is one of our conflicted copies (shown differently, never re-conflicted on purpose). */
export function isConflictedCopy(path: string): boolean {
  return CONFLICT_LABEL.test(baseName(path));
}

/** The path a conflicted copy was made from (`dir/name (conflicted copy from …).ext` -> `dir/name.ext`); undefined for other names. */
export function originalOfConflictedCopy(path: string): string | undefined {
  const name = baseName(path);
  if (!CONFLICT_LABEL.test(name)) return undefined;
  const dir = parentPath(path);
  const original = name.replace(CONFLICT_LABEL, '');
  return dir ? `${dir}/${original}` : original;
}
