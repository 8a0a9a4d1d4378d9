// Shows every failure as a page in plain words (JSON for the pages' scripts; never a stack trace), and unknown addresses as a friendly 404.
import type { Middleware } from 'koa';
import { MyDropboxError } from '@mydropbox/shared';
import { toMyDropboxError, type Logger } from '@mydropbox/server-common';
import type { Render } from './render';
import type { WebState } from './state';

const TITLES: Partial<Record<MyDropboxError['code'], string>> = {
  forbidden: 'That did not go through',
  invalid_path: 'That is not a valid file or folder name',
  not_found: 'We could not find that',
  payload_too_large: 'That form was too large',
  server_unavailable: 'Your files are out of reach for a moment',
  rate_limited: 'Slow down a little',
  quota_exceeded: 'Your storage is full',
  insufficient_storage: 'The server is out of space',
};

export function pageErrors(render: Render, log: Logger): Middleware<WebState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        render(ctx, 'notFound', { title: 'Page not found' }, 404);
      }
    } catch (err) {
      const mapped = toMyDropboxError(err);
      if (mapped.code === 'internal') log.error({ err, method: ctx.method, path: ctx.path }, 'page failed');
      else log.debug({ code: mapped.code, path: ctx.path }, 'page refused');
      const message =
        mapped.code === 'payload_too_large' ? 'What you sent is larger than this form accepts. Shorten it and try again.' : mapped.message;
      if (ctx.headerSent || !ctx.writable) return;
      // The pages' own scripts ask for JSON and show the message in place.
      if (ctx.accepts('html', 'json') === 'json') {
        ctx.status = mapped.status;
        ctx.body = mapped.toBody();
        return;
      }
      render(ctx, 'error', { title: TITLES[mapped.code] ?? 'Something went wrong', message }, mapped.status);
    }
  };
}
