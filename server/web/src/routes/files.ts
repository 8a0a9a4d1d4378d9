// The file list (folders, breadcrumbs, sizes, dates, quota) and downloads streamed from the user's data server.
import Router from '@koa/router';
import { MyDropboxError, baseName, normalizePath } from '@mydropbox/shared';
import { setUserContentHeaders } from '@mydropbox/server-common';
import { requireUser, type WebState } from '../state';
import type { RouteDeps } from '../app';
import { breadcrumbs, folderView } from '../folderView';
import { usagePercent } from '../formatting';

// Headers of the data server's answer that the browser needs for sizes, resuming and caching.
const PASSED_HEADERS = ['content-length', 'content-range', 'accept-ranges', 'etag', 'last-modified'];

function folderParam(value: unknown): string {
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string') throw new MyDropboxError('invalid_path', 'Open one folder at a time.');
  return normalizePath(value.replace(/\/+$/, ''));
}

export function fileRoutes({ services, render }: RouteDeps): Router<WebState> {
  const router = new Router<WebState>();

  router.get('/files', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const dir = folderParam(ctx.query.dir);
    const [entries, usage] = await Promise.all([services.files.list(user.username), services.files.usage(user.username)]);
    const view = folderView(entries, dir);
    if (!view.exists)
      throw new MyDropboxError('not_found', `There is no folder "${dir}" in your files. It may have been moved or deleted.`);
    render(ctx, 'files', {
      title: dir ? `${baseName(dir)} · MyDropbox` : 'Your files · MyDropbox',
      dir,
      crumbs: breadcrumbs(dir),
      folders: view.folders,
      files: view.files,
      totalFiles: entries.length,
      usage,
      usagePercent: usagePercent(usage.usedBytes, usage.quotaBytes),
    });
  });

  router.get('/files/download', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    if (typeof ctx.query.path !== 'string') throw new MyDropboxError('invalid_path', 'Choose one file to download.');
    const path = normalizePath(ctx.query.path);
    const range = ctx.get('Range') || undefined;
    const answer = await services.files.download(user.username, path, range);
    ctx.status = answer.status;
    for (const name of PASSED_HEADERS) {
      const value = headerValue(answer.headers, name);
      if (value !== undefined) ctx.set(name, value);
    }
    // Always an attachment: a stored .html or .svg must never run as part of this site.
    setUserContentHeaders(ctx, { filename: path });
    ctx.set('Cache-Control', 'private, no-cache');
    ctx.body = answer.body;
  });

  return router;
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | number | undefined>)[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}
