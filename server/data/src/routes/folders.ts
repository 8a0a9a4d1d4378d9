// /v1/entries and /v1/folders…: the tree as a file manager sees it, explicit folders, and whole-folder delete, copy and move.
import Router from '@koa/router';
import { z } from 'zod';
import { MyDropboxError, normalizePath } from '@mydropbox/shared';
import type { DataServices } from '../services';
import type { DataState } from '../auth';
import { copyBody, parseBodyWithPathCode, queryPath, userPath } from './input';
import { jsonBody } from './files';

const folderBody = z.object({ path: userPath });

/** The `path` query parameter where '' means the top folder. */
function queryTreePath(query: Record<string, string | string[] | undefined>): string {
  const value = query.path;
  if (typeof value !== 'string')
    throw new MyDropboxError('invalid_path', 'Give exactly one "path" query parameter ("" for the top folder).');
  return value === '' ? '' : normalizePath(value);
}

export function foldersRouter(services: DataServices): Router<DataState> {
  const router = new Router<DataState>();

  router.get('/v1/entries', async (ctx) => {
    const depth = ctx.query.depth ?? '0';
    if (depth !== '0' && depth !== '1')
      throw new MyDropboxError('invalid_request', '"depth" must be 0 (the entry) or 1 (and its children).');
    ctx.body = await services.folders.entries(ctx.state.owner, queryTreePath(ctx.query), depth === '1' ? 1 : 0);
  });

  router.get('/v1/folders', async (ctx) => {
    ctx.body = { folders: await services.folders.list(ctx.state.owner) };
  });

  router.post('/v1/folders', jsonBody(), async (ctx) => {
    const { path } = parseBodyWithPathCode(folderBody, ctx.request.body);
    const { folder, created } = await services.folders.create(ctx.state.owner, path);
    ctx.status = created ? 201 : 200;
    ctx.body = folder;
  });

  router.delete('/v1/folders', async (ctx) => {
    ctx.body = await services.folders.delete(ctx.state.owner, queryPath(ctx.query));
  });

  router.post('/v1/folders/copy', jsonBody(), async (ctx) => {
    ctx.body = await services.folders.copy(ctx.state.owner, parseBodyWithPathCode(copyBody, ctx.request.body));
  });

  router.post('/v1/folders/move', jsonBody(), async (ctx) => {
    ctx.body = await services.folders.move(ctx.state.owner, parseBodyWithPathCode(copyBody, ctx.request.body));
  });

  return router;
}
