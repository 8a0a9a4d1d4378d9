// /v1/blocks…: which blocks the server still needs, and uploading one raw block named by its SHA-256.
import Router from '@koa/router';
import { MyDropboxError, isBlockHash } from '@mydropbox/shared';
import type { DataServices } from '../services';
import type { DataState } from '../auth';
import { missingBody, parseBodyWithPathCode, queryInt, queryString } from './input';
import { jsonBody } from './files';

export function blocksRouter(services: DataServices): Router<DataState> {
  const router = new Router<DataState>();

  router.post('/v1/blocks/missing', jsonBody(), async (ctx) => {
    const { hashes } = parseBodyWithPathCode(missingBody, ctx.request.body);
    ctx.body = await services.reads.missing(ctx.state.owner, hashes);
  });

  router.post('/v1/blocks/batch', async (ctx) => {
    const declared = ctx.get('Content-Length');
    await services.uploads.receiveBatch(ctx.state.owner, ctx.req, declared ? Number(declared) : undefined);
    ctx.status = 204;
  });

  router.get('/v1/blocks/:hash/parts', async (ctx) => {
    const hash = blockParam(ctx.params.hash);
    ctx.type = 'application/octet-stream';
    ctx.body = await services.uploads.parts(ctx.state.owner, hash);
  });

  router.put('/v1/blocks/:hash/delta', async (ctx) => {
    const hash = blockParam(ctx.params.hash);
    const base = blockParam(queryString(ctx.query, 'base'));
    const size = queryInt(ctx.query, 'size', 0);
    if (size === undefined) throw new MyDropboxError('invalid_request', 'Give the rebuilt block\'s length as "size".');
    const declared = ctx.get('Content-Length');
    await services.uploads.receiveDelta(ctx.state.owner, hash, base, size, ctx.req, declared ? Number(declared) : undefined);
    ctx.status = 204;
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

function blockParam(value: string | undefined): string {
  if (!isBlockHash(value)) throw new MyDropboxError('invalid_request', 'A block is named by its SHA-256: 64 lowercase hex characters.');
  return value;
}
