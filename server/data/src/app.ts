// Builds the data server's Koa app from its services and the router's public key; no env, no listening.
import Koa from 'koa';
import Router from '@koa/router';
import type { DataHealth } from '@mydropbox/shared';
import { AccessTokenVerifier, Logger, apiResponseHeaders, errorMiddleware, logResponseErrors } from '@mydropbox/server-common';
import type { DataServices } from './services';
import { authenticate, DataState } from './auth';
import { RevokedDevices, revocationsRouter } from './revocations';
import { filesRouter } from './routes/files';
import { contentRouter } from './routes/content';
import { blocksRouter } from './routes/blocks';
import { changesRouter } from './routes/changes';
import { foldersRouter } from './routes/folders';
import { uploadsRouter } from './routes/uploads';
import { versionsRouter } from './routes/versions';

export interface DataAppDeps {
  services: DataServices;
  verifier: AccessTokenVerifier;
  log: Logger;
  /** Devices signed out (POST /revocations); one is made when not given. */
  revoked?: RevokedDevices;
}

export function createApp(deps: DataAppDeps): Koa<DataState> {
  const app = new Koa<DataState>();
  logResponseErrors(app, deps.log);
  app.use(apiResponseHeaders());
  app.use(errorMiddleware(deps.log));

  const health = new Router();
  health.get('/healthz', async (ctx) => {
    // The router reads diskNearlyFull when it places a new account (a nearly full disk takes none).
    const space = await deps.services.space().catch(() => undefined);
    const body: DataHealth = {
      status: 'ok',
      serverId: deps.services.serverId,
      ...(space ? { diskNearlyFull: space.nearlyFull, freeBytes: space.freeBytes } : {}),
    };
    ctx.body = body;
  });
  app.use(health.routes());

  // Everything under /v1 needs a token, even a path that turns out not to exist.
  const revoked = deps.revoked ?? new RevokedDevices();
  const revocations = revocationsRouter(revoked, deps.verifier, deps.services.serverId);
  app.use(revocations.routes());
  const auth = authenticate(deps.verifier, deps.services.serverId, revoked);
  app.use((ctx, next) => (ctx.path === '/v1' || ctx.path.startsWith('/v1/') ? auth(ctx, next) : next()));
  const routers = [filesRouter, contentRouter, blocksRouter, foldersRouter, uploadsRouter, versionsRouter].map((build) =>
    build(deps.services),
  );
  for (const router of [...routers, changesRouter(deps.services, revoked)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
