// What anyone holding a share link sees at /s/<token>: the file, or the folder's listing, downloads and zip; nothing else of the account.
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { MyDropboxError, baseName, isInside, normalizePath, parentPath } from '@mydropbox/shared';
import { planZip, streamZip, zipName, clientAddress, type ShareLinkRecord } from '@mydropbox/router';
import { setUserContentHeaders } from '@mydropbox/server-common';
import type { WebContext, WebState } from '../state';
import type { RouteDeps } from '../app';
import { folderView } from '../folderView';
import { sendPersonBytes } from '../personBytes';
import { readCookie } from '../cookies';

// A signed cookie per link remembers a typed password for an hour, scoped to that link's pages.
const UNLOCK_MS = 60 * 60 * 1000;

function relativeParam(value: unknown): string {
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string') throw new MyDropboxError('not_found', 'Open one thing at a time.');
  return normalizePath(value.replace(/\/+$/, ''));
}

/** Shared pages stay out of search engines and never tell the next site where the visitor came from. */
const privatePage: Middleware<WebState> = async (ctx, next) => {
  try {
    await next();
  } finally {
    ctx.set('X-Robots-Tag', 'noindex, nofollow');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', 'private, no-store');
  }
};

export function publicShareRoutes({ services, render, cookies, log }: RouteDeps): Router<WebState> {
  const router = new Router<WebState>();
  router.use(privatePage);

  const unlockCookie = (link: ShareLinkRecord) => `mdb_share_${link.id}`;

  /** The link, or a 404/410 page when it is unknown, revoked or expired; a password page while it is locked. */
  async function openLink(ctx: WebContext, token: string, opts: { page: boolean }): Promise<ShareLinkRecord | undefined> {
    const opened = await services.shareLinks.open(token);
    if (opened.state === 'unknown') {
      render(
        ctx,
        'shareGone',
        {
          title: 'Link not found · MyDropbox',
          noindex: true,
          heading: 'This link does not work',
          message: 'It may have been mistyped, or its owner revoked it.',
        },
        404,
      );
      return undefined;
    }
    if (opened.state === 'expired') {
      render(
        ctx,
        'shareGone',
        {
          title: 'Link expired · MyDropbox',
          noindex: true,
          heading: 'This link has expired',
          message: 'Ask the person who shared it for a new one.',
        },
        410,
      );
      return undefined;
    }
    const link = opened.link;
    if (link.passwordHash !== null && readCookie(ctx, unlockCookie(link)) !== String(link.id)) {
      if (opts.page) render(ctx, 'sharePassword', { title: 'Password needed · MyDropbox', noindex: true, token }, 401);
      else throw new MyDropboxError('unauthorized', 'Open the link and type its password first.');
      return undefined;
    }
    return link;
  }

  router.get('/s/:token', async (ctx) => {
    const token = ctx.params.token!;
    const link = await openLink(ctx, token, { page: true });
    if (!link) return;
    // What both kinds of shared page show: the shared thing's name and where its downloads live.
    const page = {
      title: `${baseName(link.path)} · shared with you`,
      noindex: true,
      base: `/s/${encodeURIComponent(token)}`,
      link,
      name: baseName(link.path),
    };
    if (link.kind === 'file') {
      const entry = await services.files.entry(link.username, link.path);
      if (!entry || entry.kind !== 'file')
        throw new MyDropboxError('not_found', 'The shared file is no longer there; its owner moved or deleted it.');
      render(ctx, 'shareOpen', { ...page, entry });
      return;
    }
    const dir = relativeParam(ctx.query.dir);
    const tree = await services.files.tree(link.username);
    const within = (p: string) => p === link.path || isInside(p, link.path);
    const strip = (p: string) => (p === link.path ? '' : p.slice(link.path.length + 1));
    const files = tree.files.filter((f) => isInside(f.path, link.path)).map((f) => ({ ...f, path: strip(f.path) }));
    const folders = tree.folders.filter((f) => within(f.path)).map((f) => ({ ...f, path: strip(f.path) }));
    if (files.length === 0 && folders.length === 0 && !tree.folders.some((f) => f.path === link.path)) {
      throw new MyDropboxError('not_found', 'The shared folder is no longer there; its owner moved or deleted it.');
    }
    const view = folderView(
      files,
      dir,
      folders.filter((f) => f.path !== ''),
    );
    if (!view.exists) throw new MyDropboxError('not_found', 'There is no such folder in what this link shares.');
    const crumbs = [{ name: baseName(link.path), dir: '' }];
    if (dir) dir.split('/').forEach((name, i, parts) => crumbs.push({ name, dir: parts.slice(0, i + 1).join('/') }));
    render(ctx, 'shareOpen', {
      ...page,
      dir,
      crumbs,
      folders: view.folders,
      files: view.files,
    });
  });

  router.post('/s/:token/unlock', async (ctx) => {
    const token = ctx.params.token!;
    const opened = await services.shareLinks.open(token);
    if (opened.state !== 'open') {
      ctx.redirect(`/s/${encodeURIComponent(token)}`);
      return;
    }
    const password = (ctx.request.body as Record<string, unknown> | undefined)?.password;
    try {
      await services.shareLinks.checkPassword(opened.link, typeof password === 'string' ? password : '', clientAddress(ctx));
    } catch (err) {
      if (!MyDropboxError.is(err, 'bad_credentials') && !MyDropboxError.is(err, 'rate_limited')) throw err;
      render(ctx, 'sharePassword', { title: 'Password needed · MyDropbox', noindex: true, token, error: err.message }, err.status);
      return;
    }
    if (cookies.secure) ctx.cookies.secure = true;
    ctx.cookies.set(unlockCookie(opened.link), String(opened.link.id), {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      secure: cookies.secure,
      path: `/s/${token}`,
      maxAge: UNLOCK_MS,
      overwrite: true,
    });
    ctx.redirect(`/s/${encodeURIComponent(token)}`);
  });

  router.get('/s/:token/download', async (ctx) => {
    const link = await openLink(ctx, ctx.params.token!, { page: true });
    if (!link) return;
    const path = services.shareLinks.resolve(link, relativeParam(ctx.query.path));
    const answer = await services.files.download(link.username, path, ctx.get('Range') || undefined);
    // A resumed download (a Range past the start) is the same download, counted once.
    if (!ctx.get('Range') || /^bytes=0-/.test(ctx.get('Range'))) await services.shareLinks.countDownload(link);
    sendPersonBytes(ctx, answer, path);
  });

  router.get('/s/:token/zip', async (ctx) => {
    const link = await openLink(ctx, ctx.params.token!, { page: true });
    if (!link) return;
    if (link.kind !== 'folder') throw new MyDropboxError('not_found', 'This link shares one file; download it instead.');
    const dir = services.shareLinks.resolve(link, relativeParam(ctx.query.dir));
    const tree = await services.files.tree(link.username);
    const plan = planZip(tree, [dir], parentPath(dir));
    await services.shareLinks.countDownload(link);
    setUserContentHeaders(ctx, { filename: zipName([dir], parentPath(dir), true) });
    ctx.body = streamZip(services.files, link.username, plan, log);
  });

  return router;
}
