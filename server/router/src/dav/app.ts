// Builds the WebDAV handler mounted at /dav/: authentication, errors as WebDAV statuses, and one handler per method.
import type http from 'node:http';
import Koa, { type Context } from 'koa';
import type { Knex } from 'knex';
import { apiResponseHeaders, logResponseErrors, type Logger } from '@mydropbox/server-common';
import type { RouterServices } from '../services';
import { DavError, toDavFailure } from './davError';
import { authenticateBasic, DAV_REALM } from './auth';
import { rawPathOf, userPathOf } from './davPaths';
import { DataClient, WEBDAV_DEVICE } from './dataClient';
import { PropertyStore } from './propertyStore';
import { LockManager } from './locks';
import { DEFAULT_DAV_LIMITS, type DavLimits } from './limits';
import { readIfHeader, type DavRequest } from './context';
import { handleDelete, handleGet, handleMkcol, handlePut } from './fileMethods';
import { handleCopyMove } from './copyMove';
import { handlePropfind, handleProppatch } from './propMethods';
import { handleLock, handleUnlock } from './lockMethods';
import { errorXml } from './xmlWriter';

export interface DavDeps {
  services: RouterServices;
  /** The central database: dead properties live there. */
  db: Knex;
  log: Logger;
  /** Locks are held in this process; pass one manager to share them between handlers. */
  locks?: LockManager;
  /** Use X-Forwarded-For (last hop) as the client address for throttling; only behind your own proxy. */
  trustProxy?: boolean;
  /** What dead properties and locks may hold; DEFAULT_DAV_LIMITS unless given. */
  limits?: DavLimits;
}

export const DAV_METHODS = ['OPTIONS', 'GET', 'HEAD', 'PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPFIND', 'PROPPATCH', 'LOCK', 'UNLOCK'];

const HANDLERS: Record<string, (dav: DavRequest) => Promise<void>> = {
  GET: handleGet,
  HEAD: handleGet,
  PUT: handlePut,
  DELETE: handleDelete,
  MKCOL: handleMkcol,
  COPY: (dav) => handleCopyMove(dav, 'copy'),
  MOVE: (dav) => handleCopyMove(dav, 'move'),
  PROPFIND: handlePropfind,
  PROPPATCH: handleProppatch,
  LOCK: handleLock,
  UNLOCK: handleUnlock,
};

function answerOptions(ctx: Context): void {
  ctx.set('DAV', '1, 2');
  ctx.set('MS-Author-Via', 'DAV');
  ctx.set('Allow', DAV_METHODS.join(', '));
  ctx.set('Accept-Ranges', 'bytes');
  ctx.status = 200;
  ctx.body = '';
}

/** The handler for everything under /dav; give it to createDispatcher({ dav }). */
export function createDavHandler(deps: DavDeps): http.RequestListener {
  const { services, log } = deps;
  const limits = deps.limits ?? DEFAULT_DAV_LIMITS;
  const props = new PropertyStore(deps.db, limits);
  const sendAsWebDav = services.dataServerClient.forDoor(WEBDAV_DEVICE);
  const locks = deps.locks ?? new LockManager(Date.now, limits);
  const app = new Koa({ proxy: deps.trustProxy === true, maxIpsCount: 1 });
  logResponseErrors(app, log, 'WebDAV response');

  app.use(apiResponseHeaders());
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const failure = toDavFailure(err);
      if (failure.status >= 500 && failure.status !== 507) log.error({ err, method: ctx.method, path: ctx.path }, 'WebDAV request failed');
      // A body we did not read must not block the connection's next request.
      if (!ctx.req.readableEnded) ctx.req.resume();
      ctx.status = failure.status;
      if (failure.status === 401) ctx.set('WWW-Authenticate', `Basic realm="${DAV_REALM}", charset="UTF-8"`);
      if (failure.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(failure.retryAfterSeconds));
      if (failure.status === 304) {
        ctx.body = null;
      } else if (failure.condition) {
        ctx.type = 'application/xml; charset=utf-8';
        ctx.body = errorXml(failure.condition);
      } else {
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = `${failure.message}\n`;
      }
    }
  });

  app.use(async (ctx) => {
    ctx.set('DAV', '1, 2');
    const method = ctx.method.toUpperCase();
    // OPTIONS answers without credentials: clients ask it first to learn what the server speaks.
    if (method === 'OPTIONS') return answerOptions(ctx);
    const handler = HANDLERS[method];
    if (!handler) {
      ctx.set('Allow', DAV_METHODS.join(', '));
      throw new DavError(405, `${method} is not a WebDAV method this server supports.`);
    }
    const username = await authenticateBasic(ctx, services);
    const dav: DavRequest = {
      ctx,
      username,
      path: userPathOf(rawPathOf(ctx.originalUrl)),
      data: new DataClient(sendAsWebDav, username),
      props,
      locks,
      ifHeader: readIfHeader(ctx),
      log,
      limits,
    };
    await handler(dav);
  });
  return app.callback();
}
