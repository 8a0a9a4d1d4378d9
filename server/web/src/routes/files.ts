// The files page (a folder or search results, sorted), previews, and downloads of files, folders and selections.
import Router from '@koa/router';
import { MyDropboxError, baseName, normalizePath, parentPath } from '@mydropbox/shared';
import { planZip, streamZip, zipName } from '@mydropbox/router';
import { setUserContentHeaders } from '@mydropbox/server-common';
import { requireUser, type WebContext, type WebState } from '../state';
import type { RouteDeps } from '../app';
import { allFolders, breadcrumbs, folderView, parseSort, searchTree, sortFiles, sortFolders } from '../folderView';
import { usagePercent } from '../formatting';
import { previewOf } from '../previewKinds';
import { sendPersonBytes } from '../personBytes';
import { takeFlash } from '../flash';

/** A folder path from a query or form value: '' (the top) when absent. */
export function folderParam(value: unknown): string {
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string') throw new MyDropboxError('invalid_path', 'Open one folder at a time.');
  return normalizePath(value.replace(/\/+$/, ''));
}

/** One file path from `?path=`. */
export function pathParam(value: unknown, what = 'Choose one file.'): string {
  if (typeof value !== 'string') throw new MyDropboxError('invalid_path', what);
  return normalizePath(value);
}

/** Paths from a repeated form field (`path=a&path=b`). */
export function pathsParam(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  if (list.length === 0) throw new MyDropboxError('invalid_request', 'Select at least one file or folder first.');
  if (list.length > 10_000) throw new MyDropboxError('invalid_request', 'Select at most 10,000 items at a time.');
  return [...new Set(list.map((p) => pathParam(p)))];
}

const MAX_QUERY = 200;

export function fileRoutes({ services, render, cookies, log }: RouteDeps): Router<WebState> {
  const router = new Router<WebState>();

  router.get('/files', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const dir = folderParam(ctx.query.dir);
    const query = typeof ctx.query.q === 'string' ? ctx.query.q.trim().slice(0, MAX_QUERY) : '';
    const sort = parseSort(ctx.query.sort);
    const [tree, usage] = await Promise.all([services.files.tree(user.username), services.files.usage(user.username)]);
    const view = query ? searchTree(tree.files, tree.folders, query) : folderView(tree.files, dir, tree.folders);
    if (!view.exists)
      throw new MyDropboxError('not_found', `There is no folder "${dir}" in your files. It may have been moved or deleted.`);
    const files = sortFiles(view.files, sort).map((f) => ({ ...f, preview: previewOf(f.path, f.size) !== undefined }));
    render(ctx, 'files', {
      title: query ? `“${query}” · MyDropbox` : dir ? `${baseName(dir)} · MyDropbox` : 'Your files · MyDropbox',
      dir,
      query,
      sort,
      crumbs: breadcrumbs(dir),
      folders: sortFolders(view.folders, sort),
      files,
      destinations: allFolders(tree.files, tree.folders),
      empty: tree.files.length === 0 && tree.folders.length === 0,
      usage,
      usagePercent: usagePercent(usage.usedBytes, usage.quotaBytes),
      flash: takeFlash(ctx, cookies),
    });
  });

  router.get('/files/download', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const path = pathParam(ctx.query.path, 'Choose one file to download.');
    const answer = await services.files.download(user.username, path, ctx.get('Range') || undefined);
    sendPersonBytes(ctx, answer, path);
  });

  // The bytes a preview shows: only kinds we preview, inline and sandboxed.
  router.get('/files/raw', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const path = pathParam(ctx.query.path);
    const preview = previewOf(path, 0);
    if (!preview) throw new MyDropboxError('not_found', 'This kind of file has no preview; download it instead.');
    const answer = await services.files.download(user.username, path, ctx.get('Range') || undefined);
    sendPersonBytes(ctx, answer, path, preview.type);
  });

  router.get('/files/preview', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const path = pathParam(ctx.query.path);
    const entry = await services.files.entry(user.username, path);
    if (!entry || entry.kind !== 'file')
      throw new MyDropboxError('not_found', `There is no file "${path}" any more. It may have been moved or deleted.`);
    const dir = parentPath(path);
    render(ctx, 'preview', {
      title: `${baseName(path)} · MyDropbox`,
      filePath: path,
      name: baseName(path),
      dir,
      crumbs: breadcrumbs(dir),
      entry,
      preview: previewOf(path, entry.size),
    });
  });

  // One folder (GET, a link) or a selection (POST, the selection form) as a streamed zip.
  const zip = async (ctx: WebContext, paths: string[], base: string) => {
    const user = ctx.state.user!;
    const tree = await services.files.tree(user.username);
    const plan = planZip(tree, paths, base);
    const single = paths.length === 1 && !tree.files.some((f) => f.path === paths[0]);
    const name = zipName(paths, base, single);
    setUserContentHeaders(ctx, { filename: name });
    ctx.set('Cache-Control', 'private, no-store');
    ctx.body = streamZip(services.files, user.username, plan, log);
  };

  router.get('/files/zip', async (ctx) => {
    if (!requireUser(ctx)) return;
    const dir = pathParam(ctx.query.dir, 'Choose a folder to download.');
    await zip(ctx, [dir], parentPath(dir));
  });

  router.post('/files/zip', async (ctx) => {
    if (!requireUser(ctx)) return;
    const body = ctx.request.body as Record<string, unknown>;
    await zip(ctx, pathsParam(body.path), folderParam(body.dir));
  });

  return router;
}
