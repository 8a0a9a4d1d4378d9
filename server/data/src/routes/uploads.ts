// /v1/uploads…: upload sessions for big files, each block written straight into the commit's temp file.
import Router from '@koa/router';
import { MyDropboxError } from '@mydropbox/shared';
import type { OpenUploadResponse } from '@mydropbox/shared';
import type { DataServices } from '../services';
import type { DataState } from '../auth';
import { openUploadBody, parseBodyWithPathCode, uploadId } from './input';
import { jsonBody } from './files';

export function uploadsRouter(services: DataServices): Router<DataState> {
  const router = new Router<DataState>();

  router.post('/v1/uploads', jsonBody(), async (ctx) => {
    const { size, blocks } = parseBodyWithPathCode(openUploadBody, ctx.request.body);
    const body: OpenUploadResponse = { uploadId: await services.sessions.open(ctx.state.owner, size, blocks) };
    ctx.status = 201;
    ctx.body = body;
  });

  router.put('/v1/uploads/:id/blocks/:index', async (ctx) => {
    const id = uploadId.safeParse(ctx.params.id);
    if (!id.success) throw new MyDropboxError('invalid_request', 'An upload is named by the 32 hex characters POST /v1/uploads gave.');
    const index = ctx.params.index ?? '';
    if (!/^[0-9]{1,9}$/.test(index)) throw new MyDropboxError('invalid_request', 'A block index is a whole number from 0.');
    const declared = ctx.get('Content-Length');
    await services.sessions.receive(ctx.state.owner, id.data, Number(index), ctx.req, declared ? Number(declared) : undefined);
    ctx.status = 204;
  });

  return router;
}
