// Reads the Bearer token of a request.
import type { Context } from 'koa';
import { MyDropboxError } from '@mydropbox/shared';

export function bearerToken(ctx: Context): string {
  const header = ctx.get('Authorization');
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new MyDropboxError('unauthorized', 'Sign in first: this request needs an "Authorization: Bearer" token.');
  return m[1];
}
