// GET /healthz: the router process is up and can reach its database.
import Router from '@koa/router';
import type { RouterServices } from '../services';

export function healthRoutes(services: RouterServices): Router {
  const router = new Router();
  router.get('/healthz', async (ctx) => {
    const servers = await services.dataServers.list();
    ctx.body = { status: 'ok', dataServers: servers.map((s) => ({ id: s.id, healthy: s.healthy, acceptsNewUsers: s.acceptsNewUsers })) };
  });
  return router;
}
