// GET /api/v1/me: who the caller is and where their data server is.
import Router from '@koa/router';
import type { RouterServices } from '../services';
import { deviceOf, requireDevice } from '../requestInput';

export function meRoutes(services: RouterServices): Router {
  const router = new Router();
  router.get('/api/v1/me', requireDevice(services), async (ctx) => {
    ctx.body = await services.accounts.getUser(deviceOf(ctx).username);
  });
  return router;
}
