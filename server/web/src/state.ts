// What a request carries through the website: the signed-in person and the CSRF token for its forms.
import type { ParameterizedContext } from 'koa';

export interface SignedInUser {
  username: string;
  deviceId: number;
}

export interface WebState {
  user?: SignedInUser;
  csrfToken: string;
}

export type WebContext = ParameterizedContext<WebState>;

/** The signed-in person, or a redirect to the login page for a request that needs one. */
export function requireUser(ctx: WebContext): SignedInUser | undefined {
  if (ctx.state.user) return ctx.state.user;
  ctx.redirect(`/login?next=${encodeURIComponent(ctx.originalUrl)}`);
  return undefined;
}
