// POST /api/v1/users: sign up (same rules as the website's form).
import Router from '@koa/router';
import { z } from 'zod';
import type { RouterServices } from '../services';
import { clientAddress, parseBodyOrEmpty } from '../requestInput';

const signUpBody = z.object({ username: z.string(), email: z.string(), password: z.string() });

export function usersRoutes(services: RouterServices): Router {
  const router = new Router();
  router.post('/api/v1/users', async (ctx) => {
    const input = parseBodyOrEmpty(signUpBody, ctx.request.body);
    ctx.body = await services.accounts.signUp({ ...input, clientAddress: clientAddress(ctx) });
    ctx.status = 201;
  });
  return router;
}
