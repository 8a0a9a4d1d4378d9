// The landing page: what MyDropbox is and the way in; a signed-in visitor goes straight to their files.
import Router from '@koa/router';
import type { WebState } from '../state';
import type { RouteDeps } from '../app';

export function landingRoutes({ render, notes }: RouteDeps): Router<WebState> {
  const router = new Router<WebState>();
  router.get('/', (ctx) => {
    if (ctx.state.user) return ctx.redirect('/files');
    render(ctx, 'landing', { title: 'MyDropbox: your files, on your own server', notice: notes.take<string>(ctx, '/') });
  });
  return router;
}
