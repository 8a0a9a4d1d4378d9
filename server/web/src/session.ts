// Web sessions: a device token of kind 'web' in a signed HttpOnly cookie, checked against the router on each request.
import type { Middleware } from 'koa';
import { classify } from '@mydropbox/shared';
import type { RouterServices } from '@mydropbox/router';
import { SESSION_COOKIE, clearCookie, readCookie, setCookie, type CookieFlags } from './cookies';
import type { WebContext, WebState } from './state';

export function sessionMiddleware(services: RouterServices, flags: CookieFlags): Middleware<WebState> {
  return async (ctx, next) => {
    const token = readCookie(ctx, SESSION_COOKIE);
    if (token) {
      try {
        const device = await services.devices.authenticate(token);
        // Only website sessions ride in the cookie; a daemon's token pasted into it is not a login.
        if (device.kind === 'web') ctx.state.user = { username: device.username, deviceId: device.deviceId };
        else clearCookie(ctx, SESSION_COOKIE, flags);
      } catch (err) {
        if (!isRefusedToken(err)) throw err;
        clearCookie(ctx, SESSION_COOKIE, flags);
      }
    }
    await next();
  };
}

function isRefusedToken(err: unknown): boolean {
  return classify(err).kind === 'auth';
}

export function startSession(ctx: WebContext, deviceToken: string, flags: CookieFlags): void {
  setCookie(ctx, SESSION_COOKIE, deviceToken, flags, true);
}

/** Revokes the session's device token, so a copied cookie stops working too, and forgets it. */
export async function endSession(ctx: WebContext, services: RouterServices, flags: CookieFlags): Promise<void> {
  const user = ctx.state.user;
  if (user) await services.devices.revoke(user.username, user.deviceId);
  ctx.state.user = undefined;
  clearCookie(ctx, SESSION_COOKIE, flags);
}
