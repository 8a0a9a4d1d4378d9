// Getting the client: the VS Code extension download, install steps, the daemon's commands and "Open in VS Code".
import fs from 'node:fs';
import Router from '@koa/router';
import { MyDropboxError } from '@mydropbox/shared';
import type { WebState } from '../state';
import type { RouteDeps } from '../app';

export const VSIX_URL = '/client/mydropbox.vsix';

function vsixAvailable(vsixPath: string | undefined): vsixPath is string {
  if (!vsixPath) return false;
  try {
    return fs.statSync(vsixPath).isFile();
  } catch {
    return false;
  }
}

export function clientRoutes({ services, render, siteUrl, vsixPath }: RouteDeps): Router<WebState> {
  const router = new Router<WebState>();

  router.get('/client', async (ctx) => {
    const site = siteUrl(ctx);
    const user = ctx.state.user;
    let openInVsCode: string | undefined;
    if (user) {
      // A one-time code lets the extension sign in without the person typing their password into VS Code.
      const login = await services.loginCodes.create(user.username);
      openInVsCode = `vscode://mydropbox.mydropbox/signin?server=${encodeURIComponent(site)}&code=${encodeURIComponent(login.code)}`;
    }
    render(ctx, 'client', {
      title: 'Get the MyDropbox client',
      site,
      username: user?.username ?? '<your username>',
      vsixUrl: vsixAvailable(vsixPath) ? VSIX_URL : undefined,
      openInVsCode,
    });
  });

  router.get(VSIX_URL, async (ctx) => {
    if (!vsixAvailable(vsixPath)) {
      throw new MyDropboxError(
        'not_found',
        'The VS Code extension has not been built on this server yet. Run "npm run package" in the project, then reload.',
      );
    }
    const stat = await fs.promises.stat(vsixPath);
    ctx.attachment('mydropbox.vsix');
    ctx.type = 'application/octet-stream';
    ctx.length = stat.size;
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = fs.createReadStream(vsixPath);
  });

  return router;
}
