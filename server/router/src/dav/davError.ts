// WebDAV's own statuses (405, 412, 415, 423, 424, 502…) and how every thrown error becomes one.
import { MyDropboxError, ERROR_STATUS } from '@mydropbox/shared';
import { toMyDropboxError } from '@mydropbox/server-common';

/** An answer with a status that has no MyDropbox error code, such as 412 Precondition Failed. */
export class DavError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** An RFC 4918 precondition element (e.g. "lock-token-submitted"), sent as <D:error><D:…/></D:error>. */
    readonly condition?: string,
  ) {
    super(message);
    this.name = 'DavError';
  }
}

export interface DavFailure {
  status: number;
  message: string;
  condition?: string;
  code?: string;
  retryAfterSeconds?: number;
}

/** The status and text a thrown error gets; unknown errors are 500 without details. */
export function toDavFailure(err: unknown): DavFailure {
  if (err instanceof DavError) return { status: err.status, message: err.message, condition: err.condition };
  const mapped: MyDropboxError = toMyDropboxError(err);
  const retry = mapped.details?.retryAfterSeconds;
  return {
    status: ERROR_STATUS[mapped.code],
    message: mapped.message,
    code: mapped.code,
    retryAfterSeconds: typeof retry === 'number' ? retry : undefined,
  };
}
