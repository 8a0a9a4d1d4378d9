// Builds the website's Koa app from its dependencies: pages, forms, downloads and the discovery document.
import Koa from 'koa';
import { koaBody } from 'koa-body';
import type { RouterServices } from '@mydropbox/router';
import { logResponseErrors, type Logger } from '@mydropbox/server-common';
import { securityHeaders } from './security';
import { staticFiles } from './staticFiles';
import { createRenderer } from './render';
import { pageErrors } from './pageErrors';
import { sessionMiddleware } from './session';
import { csrfProtection } from './csrf';
import type { WebState } from './state';
import type { CookieFlags } from './cookies';
import { landingRoutes } from './routes/landing';
import { accountRoutes } from './routes/account';
import { fileRoutes } from './routes/files';
import { fileActionRoutes } from './routes/fileActions';
import { uploadRoutes } from './routes/upload';
import { sharedLinkRoutes } from './routes/sharedLinks';
import { publicShareRoutes } from './routes/publicShares';
import { historyRoutes } from './routes/history';
import { clientRoutes } from './routes/client';
import { deviceRoutes } from './routes/devices';
import { discoveryRoutes } from './routes/discovery';
import { accountSettingsRoutes } from './routes/accountSettings';
import { createSealedNotes, type SealedNotes } from './sealedNotes';

export interface WebDeps {
  services: RouterServices;
  log: Logger;
  /** Keys that sign the cookies; the first signs, all verify (so keys can be rotated). */
  cookieKeys: string[];
  /** The one address people and clients use, e.g. https://files.example.com; else taken from each request. */
  publicUrl?: string;
  /** The VS Code extension package offered on the client page, when it has been built. */
  vsixPath?: string;
  /** The daemon's npm package (mydropbox-daemon.tgz) offered on the client page, when it has been built. */
  daemonPath?: string;
  secureCookies?: boolean;
  /** Take the client address from X-Forwarded-For (last hop only): only behind a proxy you run. */
  trustProxy?: boolean;
}

/** What the route modules need from the app. */
export interface RouteDeps {
  services: RouterServices;
  log: Logger;
  render: ReturnType<typeof createRenderer>;
  cookies: CookieFlags;
  /** One-time notes across a redirect that may hold a secret (POST/redirect/GET); flash.ts is for plain messages. */
  notes: SealedNotes;
  /** The site's public address without a trailing slash. */
  siteUrl(ctx: Koa.Context): string;
  vsixPath?: string;
  daemonPath?: string;
}

// Forms carry a few short fields, or the paths of a selection; anything bigger is not from our pages.
const FORM_LIMIT = '64kb';

export function createApp(deps: WebDeps): Koa<WebState> {
  if (deps.cookieKeys.length === 0 || deps.cookieKeys.some((k) => k.length < 16)) {
    throw new Error('The website needs at least one cookie key of 16 or more characters (SESSION_SECRET).');
  }
  // maxIpsCount 1: only the address our own proxy appended counts, never what the client wrote before it.
  const app = new Koa<WebState>({ keys: deps.cookieKeys, proxy: deps.trustProxy === true, maxIpsCount: 1 });
  logResponseErrors(app, deps.log, 'page');
  const render = createRenderer();
  const cookies: CookieFlags = { secure: deps.secureCookies ?? false };
  const publicUrl = deps.publicUrl?.replace(/\/+$/, '');
  const routeDeps: RouteDeps = {
    services: deps.services,
    log: deps.log,
    render,
    cookies,
    notes: createSealedNotes(deps.cookieKeys, cookies),
    // Koa 3's ctx.origin is the Origin request header, not the site; build it from protocol and Host.
    siteUrl: (ctx) => publicUrl ?? `${ctx.protocol}://${ctx.host}`,
    vsixPath: deps.vsixPath,
    daemonPath: deps.daemonPath,
  };

  app.use(async (ctx, next) => {
    ctx.state.csrfToken = '';
    await next();
  });
  app.use(securityHeaders());
  app.use(staticFiles());
  app.use(pageErrors(render, deps.log));
  app.use(
    koaBody({
      json: false,
      multipart: false,
      urlencoded: true,
      text: false,
      formLimit: FORM_LIMIT,
    }),
  );
  app.use(sessionMiddleware(deps.services, cookies));
  app.use(csrfProtection(cookies));
  for (const router of [
    landingRoutes(routeDeps),
    accountRoutes(routeDeps),
    fileRoutes(routeDeps),
    fileActionRoutes(routeDeps),
    uploadRoutes(routeDeps),
    sharedLinkRoutes(routeDeps),
    publicShareRoutes(routeDeps),
    historyRoutes(routeDeps),
    clientRoutes(routeDeps),
    deviceRoutes(routeDeps),
    accountSettingsRoutes(routeDeps),
    discoveryRoutes(routeDeps),
  ]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
