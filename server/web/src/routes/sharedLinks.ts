// The owner's side of share links: making one from the files page, the "Shared links" page, and revoking.
import Router from '@koa/router';
import { MyDropboxError, baseName, parentPath } from '@mydropbox/shared';
import { requireUser, type WebContext, type WebState } from '../state';
import type { RouteDeps } from '../app';
import { setFlash, takeFlash } from '../flash';
import { pathParam } from './files';

/** The address a share link is opened at. */
export function shareUrl(site: string, token: string): string {
  return `${site}/s/${token}`;
}

function expiryParam(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^[0-9]{1,3}$/.test(value))
    throw new MyDropboxError('invalid_request', 'Choose when the link expires.');
  return Number(value);
}

export function sharedLinkRoutes({ services, render, cookies, siteUrl }: RouteDeps): Router<WebState> {
  const router = new Router<WebState>();

  const showLinks = async (
    ctx: WebContext,
    created?: { url: string; name: string; link: { expiresAt: number | null; hasPassword: boolean } },
  ) => {
    const user = ctx.state.user!;
    const links = await services.shareLinks.list(user.username);
    render(ctx, 'sharedLinks', {
      title: 'Shared links · MyDropbox',
      links: links.map((l) => ({ ...l, name: baseName(l.path), parent: parentPath(l.path) })),
      created,
      flash: takeFlash(ctx, cookies),
    });
  };

  router.get('/shared-links', async (ctx) => {
    if (!requireUser(ctx)) return;
    await showLinks(ctx);
  });

  router.post('/shared-links', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const path = pathParam(body.path, 'Choose a file or folder to share.');
    const password = typeof body.password === 'string' ? body.password : '';
    const { link, token } = await services.shareLinks.create(user.username, path, { expiresInDays: expiryParam(body.expires), password });
    await showLinks(ctx, { url: shareUrl(siteUrl(ctx), token), name: baseName(path), link });
  });

  router.post('/shared-links/:id/revoke', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const id = ctx.params.id ?? '';
    if (!/^[0-9]{1,12}$/.test(id)) throw new MyDropboxError('not_found', 'There is no such shared link.');
    await services.shareLinks.revoke(user.username, Number(id));
    setFlash(ctx, cookies, { kind: 'success', text: 'The link was revoked: it no longer opens for anyone.' });
    ctx.redirect('/shared-links');
  });

  return router;
}
