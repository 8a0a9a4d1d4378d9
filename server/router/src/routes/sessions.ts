// POST /api/v1/sessions (sign in, get a device token) and DELETE /api/v1/sessions/current (sign out).
import Router from '@koa/router';
import { z } from 'zod';
import type { RouterServices } from '../services';
import { clientAddress, deviceKindSchema, deviceOf, parseBodyOrEmpty, requireDevice } from '../requestInput';

const signInBody = z.object({
  username: z.string(),
  password: z.string(),
  deviceName: z.string().max(100).optional(),
  deviceKind: deviceKindSchema.default('daemon'),
});

export function sessionsRoutes(services: RouterServices): Router {
  const router = new Router();
  router.post('/api/v1/sessions', async (ctx) => {
    const input = parseBodyOrEmpty(signInBody, ctx.request.body);
    ctx.body = await services.accounts.signIn({ ...input, clientAddress: clientAddress(ctx) });
    ctx.status = 201;
  });
  router.delete('/api/v1/sessions/current', requireDevice(services), async (ctx) => {
    const device = deviceOf(ctx);
    await services.devices.revoke(device.username, device.deviceId);
    ctx.status = 204;
  });
  return router;
}
