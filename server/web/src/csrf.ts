// CSRF tokens for every form and script call: a secret in its own signed HttpOnly cookie, a fresh token per page, checked on every POST.
import Tokens from 'csrf';
import type { Middleware } from 'koa';
import { MyDropboxError } from '@mydropbox/shared';
import { CSRF_COOKIE, readCookie, setCookie, type CookieFlags } from './cookies';
import type { WebState } from './state';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

export function csrfProtection(flags: CookieFlags): Middleware<WebState> {
  const tokens = new Tokens();
  return async (ctx, next) => {
    const known = readCookie(ctx, CSRF_COOKIE);
    // A visitor without a secret gets one first, so the page shown after a refusal carries a working form.
    const secret = known ?? tokens.secretSync();
    if (!known) setCookie(ctx, CSRF_COOKIE, secret, flags);
    ctx.state.csrfToken = tokens.create(secret);
    if (!SAFE_METHODS.has(ctx.method)) {
      const body = ctx.request.body as Record<string, unknown> | undefined;
      // Forms send the token as a field; the pages' scripts (uploads, JSON calls) in a header.
      const sent = body?.[CSRF_FIELD] ?? (ctx.get(CSRF_HEADER) || undefined);
      if (!known || typeof sent !== 'string' || !tokens.verify(known, sent)) {
        throw new MyDropboxError('forbidden', 'This form has expired or came from another site. Go back, reload the page and try again.');
      }
    }
    await next();
  };
}
