// GET /v1/changes: the long-polled change feed of the signed-in user.
import Router from '@koa/router';
import type { DataServices } from '../services';
import { signedOut, type DataState } from '../auth';
import type { RevokedDevices } from '../revocations';
import { MAX_WAIT_SECONDS } from '../services/changeFeed';
import { queryInt } from './input';

/** Without `timeout` a poll waits this long, the usual long-poll length behind proxies. */
export const DEFAULT_WAIT_SECONDS = 30;

/** `revoked`: a device signed out while its poll waits gets its 401 at once, not when the wait ends. */
export function changesRouter(services: DataServices, revoked?: RevokedDevices): Router<DataState> {
  const router = new Router<DataState>();

  router.get('/v1/changes', async (ctx) => {
    const seconds = Math.min(queryInt(ctx.query, 'timeout', 0) ?? DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS);
    const gone = new AbortController();
    // The response closes before it is sent only when the client went away.
    ctx.res.once('close', () => gone.abort());
    const { deviceId } = ctx.state;
    const stopWaiting = deviceId !== undefined ? revoked?.whileWaiting(deviceId, () => gone.abort()) : undefined;
    try {
      ctx.body = await services.feed.changes(ctx.state.owner, ctx.query.cursor, seconds * 1000, gone.signal);
    } finally {
      stopWaiting?.();
    }
    if (deviceId !== undefined && revoked?.has(deviceId)) throw signedOut();
  });

  return router;
}
