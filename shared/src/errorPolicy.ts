// The one place that decides what a failure means for whoever made the call: sign in again, wait for
// the network, try again (after what the server asked), look at the file again, or tell the person.
import { MyDropboxError, type ErrorCode } from './errors';

export type ErrorClass =
  /** The server refused the credentials or the device: nothing works until the person signs in again. */
  | { kind: 'auth' }
  /** The server or the network cannot be reached (or timed out): the same call may work when they are back. */
  | { kind: 'offline' }
  /** The server is there but could not do it now (overloaded, a fault, its disk full): try again, not before `afterMs`. */
  | { kind: 'retry'; afterMs?: number }
  /** The local file changed under the operation (or what it relied on went): look at it again and plan anew. */
  | { kind: 'localChanged' }
  /** The server's copy is not what the operation was based on: read the server again and plan anew. */
  | { kind: 'remoteChanged' }
  /** Trying again cannot help until a person acts (a quota, a refused name, a bad request). */
  | { kind: 'needsPerson' };

const BY_CODE: Partial<Record<ErrorCode, ErrorClass['kind']>> = {
  bad_credentials: 'auth',
  unauthorized: 'auth',
  token_expired: 'auth',
  server_unavailable: 'offline',
  internal: 'retry',
  rate_limited: 'retry',
  insufficient_storage: 'retry',
  conflict: 'remoteChanged',
  hash_mismatch: 'remoteChanged',
  not_found: 'remoteChanged',
  // A block another upload was sending did not arrive: plan the file again.
  block_missing: 'localChanged',
};

// Failures of the connection itself, wherever in the cause chain they sit.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNABORTED',
]);

/** Errors of our own layers that are not MyDropboxErrors say their class by carrying it (e.g. the client's "the file changed" errors). */
export interface ClassifiedError {
  readonly errorClass: ErrorClass['kind'];
}

export function classify(err: unknown): ErrorClass {
  if (err instanceof MyDropboxError) {
    const kind = BY_CODE[err.code] ?? 'needsPerson';
    if (kind === 'retry') {
      const afterMs = err.details?.retryAfterMs;
      return typeof afterMs === 'number' && afterMs > 0 ? { kind, afterMs } : { kind };
    }
    return { kind } as ErrorClass;
  }
  const own = (err as Partial<ClassifiedError> | null)?.errorClass;
  if (typeof own === 'string') return { kind: own } as ErrorClass;
  if ((err as { name?: unknown } | null)?.name === 'TimeoutError') return { kind: 'offline' };
  const code = networkCode(err);
  if (code !== undefined && NETWORK_CODES.has(code)) return { kind: 'offline' };
  // A local file that went between the scan and the read.
  if (code === 'ENOENT') return { kind: 'localChanged' };
  return { kind: 'needsPerson' };
}

/** Whether trying the same call again later may succeed (network trouble, an overloaded or restarting server, a full server disk). */
export function isRetryable(err: unknown): boolean {
  const { kind } = classify(err);
  return kind === 'offline' || kind === 'retry';
}

/** How long the server asked to wait, from a Retry-After header (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function networkCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
