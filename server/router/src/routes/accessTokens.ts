// POST /api/v1/access-tokens: a short-lived token for the caller's data server.
import Router from '@koa/router';
import type { RouterServices } from '../services';
import { deviceOf, requireDevice } from '../requestInput';

export function accessTokensRoutes(services: RouterServices): Router {
  const router = new Router();
  router.post('/api/v1/access-tokens', requireDevice(services), async (ctx) => {
    ctx.body = await services.accessTokens.issueForDevice(deviceOf(ctx));
    ctx.status = 201;
  });
  return router;
}
