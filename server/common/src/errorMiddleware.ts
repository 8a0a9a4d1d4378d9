// Maps thrown errors to `{ error: { code, message } }` with the code's status; never leaks a stack trace.
import type { Middleware } from 'koa';
import { MyDropboxError, ERROR_STATUS } from '@mydropbox/shared';
import type { Logger } from './logger';

export function errorMiddleware(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new MyDropboxError('not_found', `No such endpoint: ${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      const mapped = toMyDropboxError(err);
      if (mapped.code === 'internal') log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
      ctx.status = ERROR_STATUS[mapped.code];
      ctx.body = mapped.toBody();
      if (mapped.code === 'unauthorized' || mapped.code === 'token_expired' || mapped.code === 'bad_credentials') {
        ctx.set('WWW-Authenticate', 'Bearer');
      }
    }
  };
}

/** Turns whatever was thrown (our errors, Koa/koa-body http errors, bugs) into a MyDropboxError. */
export function toMyDropboxError(err: unknown): MyDropboxError {
  if (err instanceof MyDropboxError) return err;
  const httpErr = err as { status?: number; expose?: boolean; message?: string; type?: string };
  const status = httpErr?.status;
  if (typeof status === 'number' && status < 500) {
    if (status === 413) return new MyDropboxError('payload_too_large', 'The request body is too large.');
    if (status === 401) return new MyDropboxError('unauthorized', httpErr.message ?? 'Unauthorized.');
    if (status === 404) return new MyDropboxError('not_found', httpErr.message ?? 'Not found.');
    if (status === 400 && httpErr.type === 'entity.parse.failed') {
      return new MyDropboxError('invalid_request', 'The request body is not valid JSON.');
    }
    return new MyDropboxError('invalid_request', httpErr.expose && httpErr.message ? httpErr.message : 'The request is not valid.');
  }
  return new MyDropboxError('internal', 'Something went wrong on the server; it has been logged.');
}
