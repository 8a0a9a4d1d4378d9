// Answers with a person's file bytes through the one user-content policy (server-common's setUserContentHeaders).
import type { Readable } from 'node:stream';
import { passByteRangeHeaders, setUserContentHeaders } from '@mydropbox/server-common';
import type { WebContext } from './state';

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
  passByteRangeHeaders(ctx, (name) => answer.headers[name]);
  setUserContentHeaders(ctx, inlineType ? { filename: path, disposition: 'inline', contentType: inlineType } : { filename: path });
  ctx.set('Cache-Control', 'private, no-cache');
  ctx.body = answer.body;
}
