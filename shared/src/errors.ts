// The one list of error codes every part of MyDropbox speaks, with the HTTP status each maps to.

export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_path: 400,
  hash_mismatch: 400,
  bad_credentials: 401,
  unauthorized: 401,
  token_expired: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  username_taken: 409,
  email_taken: 409,
  block_missing: 409,
  payload_too_large: 413,
  range_not_satisfiable: 416,
  rate_limited: 429,
  internal: 500,
  server_unavailable: 503,
  no_capacity: 503,
  quota_exceeded: 507,
  insufficient_storage: 507,
  /** Client-side only: the sync folder is missing, replaced or not this account's; syncing it stopped and nothing was deleted. */
  folder_unavailable: 409,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export class MyDropboxError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'MyDropboxError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static is(err: unknown, code?: ErrorCode): err is MyDropboxError {
    return err instanceof MyDropboxError && (code === undefined || err.code === code);
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);
}

/**
 * Rebuilds a MyDropboxError from an HTTP error response, so clients act on codes, not strings. A
 * Retry-After the server sent goes into `details.retryAfterMs` (the error policy honours it).
 */
export function errorFromResponse(status: number, body: unknown, retryAfterMs?: number): MyDropboxError {
  const err = (body as Partial<ErrorBody> | null)?.error;
  const wait = retryAfterMs === undefined ? undefined : { retryAfterMs };
  if (err && isErrorCode(err.code) && typeof err.message === 'string') {
    return new MyDropboxError(err.code, err.message, err.details || wait ? { ...err.details, ...wait } : undefined);
  }
  if (status === 429) return new MyDropboxError('rate_limited', 'The server is busy; try again in a moment.', wait);
  if (status === 401) return new MyDropboxError('unauthorized', 'The server did not accept the credentials.');
  if (status === 404) return new MyDropboxError('not_found', 'Not found.');
  if (status === 507) return new MyDropboxError('quota_exceeded', 'Quota exceeded.');
  if (status >= 500) return new MyDropboxError('server_unavailable', `The server answered ${status}; try again later.`);
  return new MyDropboxError('invalid_request', `The server answered ${status}.`);
}
