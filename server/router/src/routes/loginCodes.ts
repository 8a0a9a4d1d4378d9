// POST /api/v1/login-codes (a signed-in device asks for a code) and POST /api/v1/login-codes/redeem (a new client trades it).
import Router from '@koa/router';
import { z } from 'zod';
import type { RouterServices } from '../services';
import { deviceKindSchema, deviceOf, parseBodyOrEmpty, requireDevice } from '../requestInput';

const redeemBody = z.object({
  code: z.string().max(200),
  deviceName: z.string().max(100).optional(),
  deviceKind: deviceKindSchema.default('vscode'),
});

export function loginCodesRoutes(services: RouterServices): Router {
  const router = new Router();
  router.post('/api/v1/login-codes', requireDevice(services), async (ctx) => {
    const device = deviceOf(ctx);
    ctx.body = await services.loginCodes.create(device.username, device.deviceId);
    ctx.status = 201;
  });
  // The editor shows whose account a link signs in to, and asks, before it redeems the code.
  router.post('/api/v1/login-codes/inspect', async (ctx) => {
    const input = parseBodyOrEmpty(z.object({ code: z.string().max(200) }), ctx.request.body);
    ctx.body = await services.loginCodes.inspect(input.code);
  });
  router.post('/api/v1/login-codes/redeem', async (ctx) => {
    const input = parseBodyOrEmpty(redeemBody, ctx.request.body);
    ctx.body = await services.loginCodes.redeem(input.code, input.deviceName, input.deviceKind);
    ctx.status = 201;
  });
  return router;
}
