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
      if (mapped.code === 'internal' || mapped.code === 'insufficient_storage') {
        log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
      }
      ctx.status = ERROR_STATUS[mapped.code];
      ctx.body = mapped.toBody();
      if (mapped.code === 'unauthorized' || mapped.code === 'token_expired' || mapped.code === 'bad_credentials') {
        ctx.set('WWW-Authenticate', 'Bearer');
      }
    }
  };
}

/** Errors of the disk (or of a database file on it) that mean the server is out of space or cannot write: not the person's fault or quota. */
const STORAGE_FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL', 'ER_RECORD_FILE_FULL', 'ER_DISK_FULL']);
const STORAGE_FAILED = new Set(['EIO', 'EROFS', 'SQLITE_IOERR', 'SQLITE_READONLY']);

/** The first string `code` on the error or its causes (a database driver wraps the system's error). */
function codeOf(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; cur && typeof cur === 'object' && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code.startsWith('SQLITE_IOERR') ? 'SQLITE_IOERR' : code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A storage failure of this server in words, or undefined if `err` is something else. */
export function storageError(err: unknown): MyDropboxError | undefined {
  const code = codeOf(err);
  if (code === undefined) return undefined;
  if (STORAGE_FULL.has(code)) {
    return new MyDropboxError(
      'insufficient_storage',
      'The server is out of disk space, so nothing can be saved there for now (this is not your quota). Your files are safe; try again later.',
    );
  }
  if (STORAGE_FAILED.has(code)) {
    return new MyDropboxError(
      'insufficient_storage',
      'The server cannot write to its disk at the moment (this is not your quota). Your files are safe; try again later.',
    );
  }
  if (code === 'ENAMETOOLONG') return new MyDropboxError('invalid_path', 'The path is too long for the server to store.');
  return undefined;
}

/** Turns whatever was thrown (our errors, Koa/koa-body http errors, storage failures, bugs) into a MyDropboxError. */
export function toMyDropboxError(err: unknown): MyDropboxError {
  if (err instanceof MyDropboxError) return err;
  const storage = storageError(err);
  if (storage) return storage;
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

/** A client that went away or broke off its request mid-way (killed, a network cut): nothing for us to fix. */
const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED']);

/**
 * Koa reports here what fails after the answer started (a client leaving mid-download, a request cut
 * short by a client killed mid-upload: Node's parser codes `HPE_…`). Without a listener Koa prints a
 * stack trace to stderr past our log; a client gone is debug, anything else a warning.
 */
export function logResponseErrors(
  app: { on(event: 'error', listener: (err: { code?: string }) => void): unknown },
  log: Logger,
  what = 'response',
): void {
  app.on('error', (err) => {
    if (err.code && (CLIENT_GONE.has(err.code) || err.code.startsWith('HPE_'))) log.debug({ err }, `client went away during the ${what}`);
    else log.warn({ err }, `${what} failed after it started`);
  });
}
