// GET /api/v1/files (listing) and GET /api/v1/files/content?path= (streaming download) through the user's data server.
import Router from '@koa/router';
import { MyDropboxError, baseName, normalizePath } from '@mydropbox/shared';
import type { RouterServices } from '../services';
import { deviceOf, requireDevice } from '../requestInput';

/** An attachment header that survives any file name: an ASCII fallback plus the RFC 5987 UTF-8 form. */
export function attachmentDisposition(path: string): string {
  const name = baseName(path);
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

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
    // Never let a browser render user content on our origin: always a download, never sniffed.
    ctx.set('Content-Type', 'application/octet-stream');
    ctx.set('Content-Disposition', attachmentDisposition(path));
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', 'private, no-store');
  });
  return router;
}
