// /v1/files…, /v1/commit and /v1/usage: listing, metadata, commits, copies, moves and deletes.
import Router from '@koa/router';
import { koaBody } from 'koa-body';
import type { DataServices } from '../services';
import type { DataState } from '../auth';
import { commitBatchBody, commitWithUploadBody, copyBody, parseBodyWithPathCode, queryInt, queryPath } from './input';

/** A commit body lists at most a quarter million block hashes: 1 MB is plenty. */
export const jsonBody = (jsonLimit = '1mb') => koaBody({ jsonLimit, text: false, urlencoded: false, multipart: false, jsonStrict: true });

export function filesRouter(services: DataServices): Router<DataState> {
  const router = new Router<DataState>();

  router.get('/v1/files', async (ctx) => {
    ctx.body = await services.reads.list(ctx.state.owner);
  });

  router.get('/v1/files/meta', async (ctx) => {
    ctx.body = await services.reads.meta(ctx.state.owner, queryPath(ctx.query));
  });

  router.delete('/v1/files', async (ctx) => {
    const path = queryPath(ctx.query);
    ctx.body = await services.writes.delete(ctx.state.owner, path, queryInt(ctx.query, 'baseRev', 1));
  });

  router.post('/v1/commit', jsonBody(), async (ctx) => {
    ctx.body = await services.writes.commit(ctx.state.owner, parseBodyWithPathCode(commitWithUploadBody, ctx.request.body));
  });

  // A thousand commits of one-block files is about 250 KB of JSON; 8 MB leaves room for bigger files.
  router.post('/v1/commit/batch', jsonBody('8mb'), async (ctx) => {
    const { commits } = parseBodyWithPathCode(commitBatchBody, ctx.request.body);
    ctx.body = { results: await services.writes.commitBatch(ctx.state.owner, commits) };
  });

  router.post('/v1/files/copy', jsonBody(), async (ctx) => {
    ctx.body = await services.writes.copy(ctx.state.owner, parseBodyWithPathCode(copyBody, ctx.request.body));
  });

  router.post('/v1/files/move', jsonBody(), async (ctx) => {
    ctx.body = await services.writes.move(ctx.state.owner, parseBodyWithPathCode(copyBody, ctx.request.body));
  });

  router.get('/v1/usage', async (ctx) => {
    ctx.body = await services.reads.usage(ctx.state.owner);
  });

  return router;
}
