// Renders eta templates from views/ inside the shared layout; eta escapes every `<%= %>` by default.
import path from 'node:path';
import { Eta } from 'eta';
import type { WebContext } from './state';
import { formatAgo, formatBytes, formatDate } from './formatting';

const VIEWS_DIR = path.join(__dirname, 'views');

export interface PageData {
  title: string;
  [key: string]: unknown;
}

export type Render = (ctx: WebContext, view: string, data: PageData, status?: number) => void;

export function createRenderer(): Render {
  // autoEscape is eta's default; it is spelled out because the pages' safety depends on it.
  const eta = new Eta({ views: VIEWS_DIR, autoEscape: true, cache: true });
  return (ctx, view, data, status = 200) => {
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = eta.render(view, {
      user: ctx.state.user,
      csrfToken: ctx.state.csrfToken,
      path: ctx.path,
      formatBytes,
      formatDate,
      formatAgo,
      ...data,
    });
  };
}
