// The one policy for responses that carry a person's file bytes: never rendered as part of our site, never sniffed.
import type { Context } from 'koa';

/**
 * Applied to every answer whose body is, or may contain, bytes a person stored (downloads, WebDAV,
 * previews, share links). `sandbox` gives the document an opaque origin with no scripts, forms,
 * popups or plugins, so an uploaded page cannot read our pages with the visitor's cookie;
 * `default-src 'none'` stops it loading anything. Media a browser shows itself (an image or a
 * video opened directly) still displays: the document's own bytes are not a fetch the policy governs.
 */
export const USER_CONTENT_CSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'";

/** For API and WebDAV answers that are not file bytes but may echo names a person chose (errors, XML). */
export const API_RESPONSE_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'";

// Types a browser shows without running anything of the file's, so they may be previewed inline.
const INLINE_SAFE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'image/vnd.microsoft.icon',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/flac',
  'audio/wav',
  'audio/ogg',
  'audio/webm',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  // Shown by the browser's own viewer, which runs none of the file's scripts; the sandbox holds it to an opaque origin.
  'application/pdf',
]);

export interface UserContentOptions {
  /** The file's path or name; its last part names the download. */
  filename: string;
  /** 'attachment' (the default) always downloads; 'inline' lets a browser show safe types (previews), others still download. */
  disposition?: 'attachment' | 'inline';
  /** What the bytes are, e.g. from the file's extension; unknown or risky types become application/octet-stream. */
  contentType?: string;
}

/** The last part of a path: the name a download is saved as. */
function nameOf(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? 'download';
}

/** `attachment`/`inline` with a plain-ASCII fallback name and the exact UTF-8 name (RFC 6266 / RFC 5987). */
export function contentDisposition(kind: 'attachment' | 'inline', path: string): string {
  const name = nameOf(path);
  const ascii =
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^\x20-\x7e]|["\\%]/g, '_') || 'download';
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/**
 * What an inline answer may be labelled as: a type from the safe list as given, any other text as
 * plain text (HTML, SVG and scripts show as their source), and nothing else inline at all.
 */
export function inlineContentType(contentType: string | undefined): string | undefined {
  const base = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (base === 'text/plain' || base.startsWith('text/') || base === 'application/json' || base === 'image/svg+xml') {
    return 'text/plain; charset=utf-8';
  }
  return INLINE_SAFE_TYPES.has(base) ? base : undefined;
}

/**
 * The headers for an answer carrying a person's bytes; see USER_CONTENT_CSP. The type is one a
 * browser cannot run (HTML, SVG or script is labelled as plain text or opaque bytes) even for an
 * attachment, because some clients ignore Content-Disposition.
 */
export function userContentHeaders(opts: UserContentOptions): Record<string, string> {
  const safeType = inlineContentType(opts.contentType);
  const disposition = opts.disposition === 'inline' && safeType ? 'inline' : 'attachment';
  return {
    'Content-Type': safeType ?? 'application/octet-stream',
    'Content-Disposition': contentDisposition(disposition, opts.filename),
    'Content-Security-Policy': USER_CONTENT_CSP,
    'X-Content-Type-Options': 'nosniff',
    // Other sites may not embed it (an <img> or <video> of someone's private file with their cookie).
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Frame-Options': 'SAMEORIGIN',
  };
}

/** Headers of a data server's answer for a person's bytes that a browser or WebDAV client needs for sizes, resuming, seeking and caching (the type and disposition are ours to set). */
export const BYTE_RANGE_HEADERS = ['content-length', 'content-range', 'accept-ranges', 'etag', 'last-modified'] as const;

/** Copies BYTE_RANGE_HEADERS from the data server's answer onto ours. */
export function passByteRangeHeaders(ctx: Context, get: (name: string) => string | null | undefined): void {
  for (const name of BYTE_RANGE_HEADERS) {
    const value = get(name);
    if (value !== null && value !== undefined) ctx.set(name, value);
  }
}

/** Sets userContentHeaders on a Koa answer; call it after copying the upstream's headers, so it wins. */
export function setUserContentHeaders(ctx: Context, opts: UserContentOptions): void {
  for (const [name, value] of Object.entries(userContentHeaders(opts))) ctx.set(name, value);
}

/** Koa middleware for apps whose answers are never pages of ours (the API, WebDAV, data servers). */
export function apiResponseHeaders() {
  return async (ctx: Context, next: () => Promise<unknown>): Promise<void> => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', API_RESPONSE_CSP);
    await next();
  };
}
