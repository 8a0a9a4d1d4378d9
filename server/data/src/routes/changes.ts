// GET /v1/changes: the long-polled change feed of the signed-in user.
import Router from '@koa/router';
import type { DataServices } from '../services';
import type { DataState } from '../auth';
import { MAX_WAIT_SECONDS } from '../services/changeFeed';
import { queryInt } from './input';

/** Without `timeout` a poll waits this long, the usual long-poll length behind proxies. */
export const DEFAULT_WAIT_SECONDS = 30;

export function changesRouter(services: DataServices): Router<DataState> {
  const router = new Router<DataState>();

  router.get('/v1/changes', async (ctx) => {
    const seconds = Math.min(queryInt(ctx.query, 'timeout', 0) ?? DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS);
    const gone = new AbortController();
    // The response closes before it is sent only when the client went away.
    ctx.res.once('close', () => gone.abort());
    ctx.body = await services.feed.changes(ctx.state.owner, ctx.query.cursor, seconds * 1000, gone.signal);
  });

  return router;
}
