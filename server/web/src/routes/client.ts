// Getting the clients: the VS Code extension and the daemon's npm package as downloads, their install lines and "Open in VS Code".
import fs from 'node:fs';
import Router from '@koa/router';
import type Koa from 'koa';
import { MyDropboxError } from '@mydropbox/shared';
import { formatBytes } from '../formatting';
import type { WebState } from '../state';
import type { RouteDeps } from '../app';

export const VSIX_URL = '/client/mydropbox.vsix';
export const DAEMON_URL = '/client/mydropbox-daemon.tgz';

interface Download {
  url: string;
  filename: string;
  contentType: string;
  /** What the 404 says: the thing that is missing and how to build it. */
  missing: string;
}

const VSIX: Download = {
  url: VSIX_URL,
  filename: 'mydropbox.vsix',
  contentType: 'application/octet-stream',
  missing: 'The VS Code extension has not been built on this server yet. Run "npm run package" in the project, then reload.',
};
const DAEMON: Download = {
  url: DAEMON_URL,
  filename: 'mydropbox-daemon.tgz',
  contentType: 'application/gzip',
  missing: 'The mydropbox daemon package has not been built on this server yet. Run "npm run package" in the project, then try again.',
};

/** The file's size when it exists, so the page only offers what can be downloaded (built packages come and go). */
function builtSize(file: string | undefined): number | undefined {
  if (!file) return undefined;
  try {
    const stat = fs.statSync(file);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

async function serve(ctx: Koa.Context, download: Download, file: string | undefined): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    if (!file) throw new Error('not configured');
    // Open once and stat the open file: a rebuild that renames a new package in place cannot mix sizes and bytes.
    handle = await fs.promises.open(file, 'r');
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error('not a file');
    ctx.attachment(download.filename);
    ctx.type = download.contentType;
    ctx.length = stat.size;
    ctx.lastModified = stat.mtime;
    ctx.set('Cache-Control', 'no-cache');
    // HEAD gets the headers only; a stream Koa never reads would keep the file open.
    if (ctx.method === 'HEAD') {
      ctx.status = 200;
      return;
    }
    ctx.body = handle.createReadStream();
    handle = undefined;
  } catch {
    throw new MyDropboxError('not_found', download.missing);
  } finally {
    await handle?.close();
  }
}

export function clientRoutes({ services, render, siteUrl, vsixPath, daemonPath }: RouteDeps): Router<WebState> {
  const router = new Router<WebState>();

  router.get('/client', async (ctx) => {
    const site = siteUrl(ctx);
    const user = ctx.state.user;
    let openInVsCode: string | undefined;
    if (user) {
      // A one-time code lets the extension sign in without the person typing their password into VS Code.
      const login = await services.loginCodes.create(user.username, user.deviceId);
      openInVsCode = `vscode://mydropbox.mydropbox/signin?server=${encodeURIComponent(site)}&code=${encodeURIComponent(login.code)}`;
    }
    const vsixBytes = builtSize(vsixPath);
    const daemonBytes = builtSize(daemonPath);
    render(ctx, 'client', {
      title: 'Get the MyDropbox client',
      site,
      username: user?.username ?? '<your username>',
      vsix: vsixBytes === undefined ? undefined : { url: VSIX_URL, size: formatBytes(vsixBytes) },
      daemon: daemonBytes === undefined ? undefined : { url: `${site}${DAEMON_URL}`, size: formatBytes(daemonBytes) },
      openInVsCode,
    });
  });

  router.get(VSIX_URL, (ctx) => serve(ctx, VSIX, vsixPath));
  router.get(DAEMON_URL, (ctx) => serve(ctx, DAEMON, daemonPath));

  return router;
}
