// GET /api/v1/files (listing) and GET /api/v1/files/content?path= (streaming download) through the user's data server.
import Router from '@koa/router';
import { MyDropboxError, normalizePath } from '@mydropbox/shared';
import { setUserContentHeaders } from '@mydropbox/server-common';
import type { RouterServices } from '../services';
import { deviceOf, requireDevice } from '../requestInput';

export function filesRoutes(services: RouterServices): Router {
  const router = new Router();
  router.get('/api/v1/files', requireDevice(services), async (ctx) => {
    ctx.body = { files: await services.files.list(deviceOf(ctx).username) };
  });
  router.get('/api/v1/usage', requireDevice(services), async (ctx) => {
    ctx.body = await services.files.usage(deviceOf(ctx).username);
  });
  router.get('/api/v1/files/content', requireDevice(services), async (ctx) => {
    if (typeof ctx.query.path !== 'string')
      throw new MyDropboxError('invalid_request', 'Say which file to download with ?path=folder/file.');
    const path = normalizePath(ctx.query.path);
    const download = await services.files.download(deviceOf(ctx).username, path, ctx.get('Range') || undefined);
    ctx.status = download.status;
    ctx.body = download.body;
    ctx.set(download.headers);
    setUserContentHeaders(ctx, { filename: path });
    ctx.set('Cache-Control', 'private, no-store');
  });
  return router;
}
