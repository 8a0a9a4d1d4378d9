// The discovery document: how a client given only the site's address finds the API and WebDAV.
import Router from '@koa/router';
import { WELL_KNOWN_PATH, type Discovery } from '@mydropbox/shared';
import type { WebState } from '../state';
import type { RouteDeps } from '../app';

export function discoveryRoutes({ siteUrl }: RouteDeps): Router<WebState> {
  const router = new Router<WebState>();
  router.get(WELL_KNOWN_PATH, (ctx) => {
    const site = siteUrl(ctx);
    const body: Discovery = { name: 'MyDropbox', apiUrl: `${site}/api/v1`, webUrl: site, davUrl: `${site}/dav/` };
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.body = body;
  });
  return router;
}
