// The one public address: sends /api/ and /healthz to the router app, /dav/ to WebDAV, everything else to the website.
import type http from 'node:http';

export interface Handlers {
  web: http.RequestListener;
  router: http.RequestListener;
  /** WebDAV at /dav/ (a colleague's part); until it is mounted, /dav/ answers 404. */
  dav?: http.RequestListener;
}

export const DAV_PREFIX = '/dav';

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}

function startsWithSegment(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

function davNotMounted(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(JSON.stringify({ error: { code: 'not_found', message: 'WebDAV is not available on this server yet.' } }));
}

export function createDispatcher(handlers: Handlers): http.RequestListener {
  const dav = handlers.dav ?? davNotMounted;
  return (req, res) => {
    const path = pathOf(req.url);
    if (startsWithSegment(path, '/api') || path === '/healthz') return handlers.router(req, res);
    if (startsWithSegment(path, DAV_PREFIX)) return dav(req, res);
    return handlers.web(req, res);
  };
}
