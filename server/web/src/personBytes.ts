// Answers with a person's file bytes through the one user-content policy (server-common's setUserContentHeaders).
import type { Readable } from 'node:stream';
import { setUserContentHeaders } from '@mydropbox/server-common';
import type { WebContext } from './state';

// Headers of the data server's answer that the browser needs for sizes, resuming, seeking and caching.
const PASSED_HEADERS = ['content-length', 'content-range', 'accept-ranges', 'etag', 'last-modified'];

export interface BytesAnswer {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

/**
 * `inlineType` set: shown in the page (an image, a player, a PDF frame, text fetched by our script)
 * where the policy allows that type inline; unset, or a type it does not allow: an attachment.
 */
export function sendPersonBytes(ctx: WebContext, answer: BytesAnswer, path: string, inlineType?: string): void {
  ctx.status = answer.status;
  for (const name of PASSED_HEADERS) {
    const value = answer.headers[name];
    if (value !== undefined) ctx.set(name, value);
  }
  setUserContentHeaders(ctx, inlineType ? { filename: path, disposition: 'inline', contentType: inlineType } : { filename: path });
  ctx.set('Cache-Control', 'private, no-cache');
  ctx.body = answer.body;
}
