// /v1/blocks…: which blocks the server still needs, and uploading one raw block named by its SHA-256.
import Router from '@koa/router';
import { MyDropboxError, isBlockHash } from '@mydropbox/shared';
import type { DataServices } from '../services';
import type { DataState } from '../auth';
import { missingBody, parseBody } from './input';
import { jsonBody } from './files';

export function blocksRouter(services: DataServices): Router<DataState> {
  const router = new Router<DataState>();

  router.post('/v1/blocks/missing', jsonBody(), async (ctx) => {
    const { hashes } = parseBody(missingBody, ctx.request.body);
    ctx.body = await services.reads.missing(ctx.state.owner, hashes);
  });

  router.put('/v1/blocks/:hash', async (ctx) => {
    const hash = ctx.params.hash;
    if (!isBlockHash(hash)) throw new MyDropboxError('invalid_request', 'A block is named by its SHA-256: 64 lowercase hex characters.');
    const declared = ctx.get('Content-Length');
    await services.uploads.receive(ctx.state.owner, hash, ctx.req, declared ? Number(declared) : undefined);
    ctx.status = 204;
  });

  return router;
}
