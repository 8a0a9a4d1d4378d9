// Builds the router's Koa app from its services: no env reads, no listen (the website mounts it under /api/).
import Koa from 'koa';
import { koaBody } from 'koa-body';
import { MyDropboxError } from '@mydropbox/shared';
import { apiResponseHeaders, errorMiddleware, Logger, logResponseErrors } from '@mydropbox/server-common';
import type { RouterServices } from './services';
import { usersRoutes } from './routes/users';
import { sessionsRoutes } from './routes/sessions';
import { accessTokensRoutes } from './routes/accessTokens';
import { meRoutes } from './routes/me';
import { devicesRoutes } from './routes/devices';
import { loginCodesRoutes } from './routes/loginCodes';
import { filesRoutes } from './routes/files';
import { shareLinksRoutes } from './routes/shareLinks';
import { healthRoutes } from './routes/health';

export interface RouterAppDeps {
  services: RouterServices;
  log: Logger;
  /** Use X-Forwarded-For (its last hop only) as the client address; only behind a proxy you run. */
  trustProxy?: boolean;
}

// Every router request body is a small JSON object; anything bigger is a mistake or an attack.
const JSON_LIMIT = '16kb';

export function createApp(deps: RouterAppDeps): Koa {
  const { services, log } = deps;
  // maxIpsCount 1: only the address our proxy appended counts, not what the client put before it.
  const app = new Koa({ proxy: deps.trustProxy === true, maxIpsCount: 1 });
  logResponseErrors(app, log);
  app.use(apiResponseHeaders());
  app.use(errorMiddleware(log));
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const retry = MyDropboxError.is(err, 'rate_limited') ? err.details?.retryAfterSeconds : undefined;
      if (typeof retry === 'number') ctx.set('Retry-After', String(retry));
      throw err;
    }
  });
  app.use(
    koaBody({
      json: true,
      urlencoded: false,
      text: false,
      multipart: false,
      jsonLimit: JSON_LIMIT,
      jsonStrict: true,
      onError(err) {
        if ((err as { status?: number }).status === 413) {
          throw new MyDropboxError(
            'payload_too_large',
            `The request body is larger than ${JSON_LIMIT}; router requests are small JSON objects.`,
          );
        }
        throw new MyDropboxError('invalid_request', 'The request body is not valid JSON; send a JSON object with the documented fields.');
      },
    }),
  );
  for (const router of [
    healthRoutes(services),
    usersRoutes(services),
    sessionsRoutes(services),
    accessTokensRoutes(services),
    meRoutes(services),
    devicesRoutes(services),
    loginCodesRoutes(services),
    filesRoutes(services),
    shareLinksRoutes(services),
  ]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
