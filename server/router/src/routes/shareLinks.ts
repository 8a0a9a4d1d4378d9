// POST /api/v1/share-links and GET /api/v1/share-links: clients (the VS Code extension's "Copy Share Link") make and list read-only links with their device token, through the website's share link service.
import Router from '@koa/router';
import { z } from 'zod';
import { SHARE_LINK_PATH, type CreateShareLinkResponse, type ShareLinkInfo, type ShareLinksResponse } from '@mydropbox/shared';
import type { RouterServices, ShareLink } from '../services';
import { deviceOf, parseBodyOrEmpty, requireDevice } from '../requestInput';

// Limits beyond these (days, password length) are the service's, with its own words.
const createBody = z.object({
  path: z.string().min(1).max(4096),
  expiresInDays: z.number().int().optional(),
  password: z.string().max(1024).optional(),
});

function info(link: ShareLink): ShareLinkInfo {
  return {
    id: link.id,
    path: link.path,
    kind: link.kind,
    createdAt: link.createdAt,
    expiresAt: link.expiresAt,
    hasPassword: link.hasPassword,
    downloads: link.downloads,
  };
}

export function shareLinksRoutes(services: RouterServices): Router {
  const router = new Router();
  router.post('/api/v1/share-links', requireDevice(services), async (ctx) => {
    const input = parseBodyOrEmpty(createBody, ctx.request.body);
    const { link, token } = await services.shareLinks.create(deviceOf(ctx).username, input.path, {
      ...(input.expiresInDays !== undefined ? { expiresInDays: input.expiresInDays } : {}),
      ...(input.password ? { password: input.password } : {}),
    });
    const body: CreateShareLinkResponse = { link: info(link), urlPath: `${SHARE_LINK_PATH}${token}` };
    ctx.body = body;
    ctx.status = 201;
  });
  router.get('/api/v1/share-links', requireDevice(services), async (ctx) => {
    const body: ShareLinksResponse = { links: (await services.shareLinks.list(deviceOf(ctx).username)).map(info) };
    ctx.body = body;
  });
  return router;
}
