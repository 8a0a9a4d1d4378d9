// Request URLs and Destination headers to user paths (through the shared normalizePath), and paths back to hrefs.
import type http from 'node:http';
import { MyDropboxError, normalizePath } from '@mydropbox/shared';
import { DavError } from './davError';

export const DAV_PREFIX = '/dav';

/**
 * The user path a URL path names: '' is the top folder. Percent-escapes are decoded first, so an
 * encoded `%2e%2e` is refused like a plain `..`; a trailing slash (collections) is dropped.
 */
export function userPathOf(urlPath: string): string {
  if (urlPath !== DAV_PREFIX && !urlPath.startsWith(`${DAV_PREFIX}/`)) {
    throw new DavError(403, `WebDAV lives under ${DAV_PREFIX}/; this path is outside it.`);
  }
  let rest = urlPath.slice(DAV_PREFIX.length).replace(/^\//, '');
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new MyDropboxError('invalid_path', 'The address has a broken percent-escape (like "%zz").');
  }
  return decoded === '' ? '' : normalizePath(decoded);
}

/** The raw path part of a request target (no query); the fragment, never sent by clients, is kept as a name character. */
export function rawPathOf(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

/** `/dav/a%20b/c/` for the folder "a b/c"; every segment escaped, so any name round-trips. */
export function hrefOf(path: string, isFolder: boolean): string {
  if (path === '') return `${DAV_PREFIX}/`;
  const escaped = path.split('/').map(escapeSegment).join('/');
  return `${DAV_PREFIX}/${escaped}${isFolder ? '/' : ''}`;
}

function escapeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The user path a Destination header names. It must be this server's own /dav/ (same host and
 * port as the request), and must not name another account in its user part: 502 for another
 * server, 403 for another account or a place outside /dav/.
 */
export function destinationOf(req: http.IncomingMessage, username: string): string {
  const header = req.headers.destination;
  if (typeof header !== 'string' || header === '') throw new DavError(400, 'COPY and MOVE need a Destination header.');
  const host = req.headers.host ?? '';
  let url: URL;
  try {
    url = new URL(header, `http://${host || 'localhost'}`);
  } catch {
    throw new DavError(400, 'The Destination header is not a valid URL.');
  }
  if (url.username && decodeURIComponent(url.username).toLowerCase() !== username) {
    throw new DavError(403, 'The Destination names another account; you can only copy or move within your own files.');
  }
  if (url.host.toLowerCase() !== host.toLowerCase()) {
    throw new DavError(502, `The Destination is on another server (${url.host}); copy between servers with a client.`);
  }
  // new URL() already resolved "." and ".." segments; check the header's own path for them too.
  const rawPath = rawPathOf(header.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, ''));
  if (/(^|\/)(\.|%2e){1,2}(\/|$)/i.test(rawPath)) {
    throw new MyDropboxError('invalid_path', 'The Destination must not contain "." or ".." segments.');
  }
  return userPathOf(url.pathname);
}
