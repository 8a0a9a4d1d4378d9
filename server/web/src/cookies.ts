// The website's two cookies (session and CSRF secret) and the flags they always carry.
import type { WebContext } from './state';

export const SESSION_COOKIE = 'mdb_session';
export const CSRF_COOKIE = 'mdb_csrf';

const SESSION_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

export interface CookieFlags {
  /** Only over HTTPS; set when a TLS-terminating proxy sits in front of the site. */
  secure: boolean;
}

function options(flags: CookieFlags, maxAge?: number) {
  return { signed: true, httpOnly: true, sameSite: 'lax' as const, secure: flags.secure, path: '/', overwrite: true, maxAge };
}

export function readCookie(ctx: WebContext, name: string): string | undefined {
  return ctx.cookies.get(name, { signed: true }) || undefined;
}

export function setCookie(ctx: WebContext, name: string, value: string, flags: CookieFlags, persistent = false): void {
  // Behind a TLS proxy Koa sees plain HTTP; the operator's setting says the browser is on HTTPS.
  if (flags.secure) ctx.cookies.secure = true;
  ctx.cookies.set(name, value, options(flags, persistent ? SESSION_MAX_AGE_MS : undefined));
}

export function clearCookie(ctx: WebContext, name: string, flags: CookieFlags): void {
  if (flags.secure) ctx.cookies.secure = true;
  ctx.cookies.set(name, '', { ...options(flags), maxAge: 0, expires: new Date(0) });
}
