// /v1/versions…, /v1/deleted, /v1/restore… (version history) and DELETE /v1/account.
import { Readable } from 'node:stream';
import Router from '@koa/router';
import { z } from 'zod';
import { MyDropboxError, blockLength, normalizePath } from '@mydropbox/shared';
import type { DataServices } from '../services';
import type { DataState } from '../auth';
import type { VersionContent } from '../services/history';
import { parseBodyWithPathCode, queryInt, queryPath, userPath } from './input';
import { jsonBody } from './files';
import { parseRange } from './byteRange';

const VERSION_ID = /^[0-9a-f]{32}$/;
const versionId = z.string().regex(VERSION_ID, 'must be a version id from GET /v1/versions');
const restoreBody = z.object({ path: userPath, versionId: versionId.optional() });
const restoreFolderBody = z.object({ path: z.literal('').or(userPath) });

function queryVersionId(query: Record<string, string | string[] | undefined>): string {
  const value = query.id;
  // Not one of ours is the same answer as someone else's: there is no such version here.
  if (typeof value !== 'string' || !VERSION_ID.test(value))
    throw new MyDropboxError('not_found', 'There is no such version (it may have expired).');
  return value;
}

/** `under` ('' or absent = everything) as a normalised folder path. */
function queryUnder(query: Record<string, string | string[] | undefined>): string {
  const value = query.under;
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string') throw new MyDropboxError('invalid_path', 'Give at most one "under" query parameter.');
  return normalizePath(value);
}

export function versionsRouter(services: DataServices): Router<DataState> {
  const router = new Router<DataState>();

  router.get('/v1/versions', async (ctx) => {
    ctx.body = await services.history.versions(ctx.state.owner, queryPath(ctx.query));
  });

  router.get('/v1/versions/content', async (ctx) => {
    const content = await services.history.content(ctx.state.owner, queryVersionId(ctx.query));
    const { size, contentHash, modifiedAt } = content.version;
    const etag = `"${contentHash}"`;
    ctx.set('ETag', etag);
    ctx.set('Last-Modified', new Date(modifiedAt).toUTCString());
    ctx.set('Accept-Ranges', 'bytes');
    ctx.set('Cache-Control', 'private, no-cache');
    const range = parseRange(ctx.get('Range') || undefined, size);
    if (range === 'unsatisfiable') {
      ctx.set('Content-Range', `bytes */${size}`);
      throw new MyDropboxError('range_not_satisfiable', `The version has ${size} bytes; that range lies outside it.`);
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    ctx.status = range ? 206 : 200;
    ctx.type = 'application/octet-stream';
    if (range) ctx.set('Content-Range', `bytes ${start}-${end}/${size}`);
    ctx.length = size === 0 ? 0 : end - start + 1;
    if (ctx.method === 'HEAD' || size === 0) {
      if (size === 0) ctx.body = '';
      return;
    }
    ctx.body = Readable.from(versionBytes(services, ctx.state.owner, content, start, end));
  });

  router.get('/v1/deleted', async (ctx) => {
    const before = ctx.query.before;
    if (before !== undefined && typeof before !== 'string') throw new MyDropboxError('invalid_request', 'Give at most one "before".');
    const limit = queryInt(ctx.query, 'limit', 1) ?? 100;
    ctx.body = await services.history.deleted(ctx.state.owner, queryUnder(ctx.query), limit, before || undefined);
  });

  router.post('/v1/restore', jsonBody(), async (ctx) => {
    const { path, versionId: id } = parseBodyWithPathCode(restoreBody, ctx.request.body);
    ctx.body = await services.history.restore(ctx.state.owner, path, id);
  });

  router.post('/v1/restore/folder', jsonBody(), async (ctx) => {
    const { path } = parseBodyWithPathCode(restoreFolderBody, ctx.request.body);
    ctx.body = await services.history.restoreFolder(ctx.state.owner, path);
  });

  router.delete('/v1/account', async (ctx) => {
    if (!ctx.state.router) throw new MyDropboxError('forbidden', 'Only the router may remove an account; delete it on the website.');
    await services.removeAccount(ctx.state.owner);
    ctx.status = 204;
  });

  return router;
}

/** The bytes start..end (inclusive) of a version, block by block, each block checked against its hash before any of it is sent. */
async function* versionBytes(
  services: DataServices,
  owner: string,
  content: VersionContent,
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  let at = 0;
  for (const [i, hash] of content.blocks.entries()) {
    const blockStart = at;
    at += blockLength(content.version.size, i);
    if (at <= start) continue;
    if (blockStart > end) break;
    const data = await services.history.readBlock(owner, hash);
    yield data.subarray(Math.max(0, start - blockStart), Math.min(data.length, end - blockStart + 1));
  }
}
