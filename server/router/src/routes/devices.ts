// GET /api/v1/devices and DELETE /api/v1/devices/:id: the caller's signed-in devices.
import Router from '@koa/router';
import { MyDropboxError } from '@mydropbox/shared';
import type { RouterServices } from '../services';
import { deviceOf, requireDevice } from '../requestInput';

export function devicesRoutes(services: RouterServices): Router {
  const router = new Router();
  router.get('/api/v1/devices', requireDevice(services), async (ctx) => {
    ctx.body = { devices: await services.devices.list(deviceOf(ctx).username) };
  });
  router.delete('/api/v1/devices/:id', requireDevice(services), async (ctx) => {
    const id = Number(ctx.params.id);
    if (!Number.isInteger(id) || id < 1) throw new MyDropboxError('invalid_request', 'A device id is a positive whole number.');
    await services.devices.revoke(deviceOf(ctx).username, id);
    ctx.status = 204;
  });
  return router;
}
