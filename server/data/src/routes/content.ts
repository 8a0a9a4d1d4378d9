// GET /v1/files/content: a file's bytes as a stream, with ETag, Last-Modified and single-range requests.
import Router from '@koa/router';
import { MyDropboxError, blockHashesOf, contentHashOfBlocks } from '@mydropbox/shared';
import { VERIFIED_DOWNLOAD_MAX_BYTES, notAsRecorded } from '../services/fileReads';
import { readFull } from '../store/fullIo';

function contentHashOf(data: Buffer): string {
  return contentHashOfBlocks(blockHashesOf(data));
}
import type { DataServices } from '../services';
import type { DataState } from '../auth';
import { queryPath } from './input';
import { parseRange } from './byteRange';

export function contentRouter(services: DataServices): Router<DataState> {
  const router = new Router<DataState>();

  router.get('/v1/files/content', async (ctx) => {
    const path = queryPath(ctx.query);
    const { row, handle } = await services.reads.open(ctx.state.owner, path);
    let handed = false;
    try {
      const etag = `"${row.contentHash}"`;
      ctx.set('ETag', etag);
      ctx.set('Last-Modified', new Date(row.modifiedAt).toUTCString());
      ctx.set('Accept-Ranges', 'bytes');
      ctx.set('Cache-Control', 'private, no-cache');
      if (ctx.get('If-None-Match') === etag) {
        ctx.status = 304;
        return;
      }
      const ifRange = ctx.get('If-Range');
      const range = ifRange && ifRange !== etag ? undefined : parseRange(ctx.get('Range') || undefined, row.size);
      if (range === 'unsatisfiable') {
        ctx.set('Content-Range', `bytes */${row.size}`);
        throw new MyDropboxError('range_not_satisfiable', `The file has ${row.size} bytes; that range lies outside it.`);
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? row.size - 1;
      ctx.status = range ? 206 : 200;
      ctx.type = 'application/octet-stream';
      if (range) ctx.set('Content-Range', `bytes ${start}-${end}/${row.size}`);
      if (ctx.method === 'HEAD') {
        ctx.length = end - start + 1;
        return;
      }
      if (row.size === 0) {
        ctx.body = '';
        return;
      }
      if (row.size <= VERIFIED_DOWNLOAD_MAX_BYTES) {
        // Small files are read whole and checked against their row's hash: a wrong byte fails the download instead of reaching a device.
        const data = Buffer.allocUnsafe(row.size);
        if ((await readFull(handle, data, row.size, 0)) !== row.size || contentHashOf(data) !== row.contentHash) {
          throw notAsRecorded(path);
        }
        ctx.body = data.subarray(start, end + 1);
        return;
      }
      ctx.body = handle.createReadStream({ start, end, autoClose: true, highWaterMark: 1024 * 1024 });
      ctx.length = end - start + 1;
      handed = true;
    } finally {
      if (!handed) await handle.close();
    }
  });

  return router;
}
