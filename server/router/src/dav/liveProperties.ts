// The live properties of a file or folder (size, dates, type, ETag…), computed from the data server's entry.
import type { TreeEntry } from '@mydropbox/shared';
import { baseName } from '@mydropbox/shared';
import { escapeText, propTag } from './xmlWriter';

const CONTENT_TYPES: Record<string, string> = {
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  ts: 'text/plain; charset=utf-8',
  json: 'application/json',
  xml: 'application/xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  ico: 'image/vnd.microsoft.icon',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
};

export function contentTypeOf(path: string): string {
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  return (dot > 0 && CONTENT_TYPES[name.slice(dot + 1).toLowerCase()]) || 'application/octet-stream';
}

export function etagOf(entry: TreeEntry): string | undefined {
  return entry.kind === 'file' ? `"${entry.contentHash}"` : undefined;
}

/** Live DAV: properties every resource reports in allprop (lockdiscovery and supportedlock come from the lock manager). */
export const LIVE_PROPERTIES = [
  'resourcetype',
  'getcontentlength',
  'getlastmodified',
  'creationdate',
  'getcontenttype',
  'getetag',
  'displayname',
] as const;

/** Live properties reported only when asked for by name (RFC 4331 quota). */
export const QUOTA_PROPERTIES = ['quota-used-bytes', 'quota-available-bytes'] as const;

/** Properties a client may not set or remove. */
export const PROTECTED_PROPERTIES = new Set<string>([...LIVE_PROPERTIES, ...QUOTA_PROPERTIES, 'lockdiscovery', 'supportedlock']);

/** The XML of one live property, or undefined when the resource does not have it (a folder's length). */
export function liveProperty(name: string, entry: TreeEntry): string | undefined {
  const folder = entry.kind === 'folder';
  switch (name) {
    case 'resourcetype':
      return propTag('DAV:', name, folder ? '<D:collection/>' : '');
    case 'getcontentlength':
      return folder ? undefined : propTag('DAV:', name, String(entry.size));
    case 'getlastmodified':
      return propTag('DAV:', name, new Date(entry.modifiedAt).toUTCString());
    case 'creationdate':
      return propTag('DAV:', name, new Date(entry.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    case 'getcontenttype':
      return folder ? undefined : propTag('DAV:', name, escapeText(contentTypeOf(entry.path)));
    case 'getetag':
      return folder ? undefined : propTag('DAV:', name, escapeText(etagOf(entry)!));
    case 'displayname':
      return propTag('DAV:', name, escapeText(entry.path === '' ? 'MyDropbox' : baseName(entry.path)));
    default:
      return undefined;
  }
}
