// The one path validator and normaliser, used by client, router, data server and WebDAV alike.
import { MyDropboxError } from './errors';

export const MAX_SEGMENT_BYTES = 255;
export const MAX_PATH_BYTES = 4096;

// Control characters (C0, DEL, C1) never belong in a file name and break logs, headers and terminals.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// With the u flag this matches only unpaired surrogates: they have no UTF-8 form and would reach
// disk as U+FFFD, so two different names would share one file.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/**
 * Returns the canonical form of a user path: relative, `/`-separated, NFC.
 * Throws `invalid_path` with a message naming what is wrong.
 */
export function normalizePath(input: unknown): string {
  if (typeof input !== 'string') throw invalid('The path must be a string.');
  if (input.length === 0) throw invalid('The path is empty.');
  if (CONTROL.test(input)) throw invalid('The path contains a control character.');
  if (LONE_SURROGATE.test(input)) throw invalid('The path is not valid Unicode (it has a lone surrogate character).');
  if (input.includes('\\')) throw invalid('The path contains a backslash; use "/" between folders.');
  if (input.startsWith('/')) throw invalid('The path must be relative, not start with "/".');
  if (/^[A-Za-z]:/.test(input)) throw invalid('The path must not start with a drive letter.');
  const path = input.normalize('NFC');
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) throw invalid(`The path is longer than ${MAX_PATH_BYTES} bytes.`);
  for (const segment of path.split('/')) {
    if (segment === '') throw invalid('The path has an empty folder name (a doubled or trailing "/").');
    if (segment === '.' || segment === '..') throw invalid('The path must not contain "." or ".." segments.');
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      throw invalid(`The name "${segment.slice(0, 40)}…" is longer than ${MAX_SEGMENT_BYTES} bytes.`);
    }
  }
  return path;
}

export function isValidPath(input: unknown): boolean {
  try {
    normalizePath(input);
    return true;
  } catch {
    return false;
  }
}

/** The folder part of a normalised path ('' at the top). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Whether `path` lies inside folder `dir` (both normalised; '' is the top). */
export function isInside(path: string, dir: string): boolean {
  return dir === '' || path.startsWith(dir + '/');
}

function invalid(message: string): MyDropboxError {
  return new MyDropboxError('invalid_path', message);
}
