// The one way the router reaches a user's data server (website, API proxy, WebDAV): router-scope tokens,
// the door named in the device header, a timeout on the answer, and errors turned into MyDropboxErrors.
import { Readable } from 'node:stream';
import { DEVICE_HEADER, MyDropboxError, errorFromResponse, type DataServerAddress } from '@mydropbox/shared';
import type { Logger } from '@mydropbox/server-common';
import type { AccessTokenService } from './accessTokens';

// Waiting for the data server's answer (headers), not for the whole body: a big download may take long.
const ANSWER_TIMEOUT_MS = 30_000;
// A router token lives 5 minutes; one is reused for a minute, so a zip of many files or an upload of
// many blocks does not sign and look up the account for every request.
const TOKEN_REUSE_MS = 60_000;
const MAX_CACHED_TOKENS = 10_000;

export interface DataCallInit {
  headers?: Record<string, string>;
  json?: unknown;
  /** Bytes sent as they are (the caller sets their content type). */
  body?: Buffer;
  /** A streamed request body of exactly `length` bytes. */
  stream?: { body: Readable; length: number };
}

/** One call as `door` ("Website", "WebDAV": what the data server records as the device behind the change). */
export type DataServerCall = (username: string, method: string, pathAndQuery: string, init?: DataCallInit) => Promise<Response>;

export interface DataServerClient {
  /** A caller for one door; a non-2xx answer (other than 304) becomes the MyDropboxError it carries. */
  forDoor(door: string): DataServerCall;
}

export function createDataServerClient(deps: { accessTokens: AccessTokenService; fetchImpl: typeof fetch; log: Logger }): DataServerClient {
  const { accessTokens, fetchImpl, log } = deps;

  const tokens = new Map<string, { token: string; dataServer: DataServerAddress; at: number }>();
  async function routerToken(username: string): Promise<{ token: string; dataServer: DataServerAddress }> {
    const cached = tokens.get(username);
    if (cached && Date.now() - cached.at < TOKEN_REUSE_MS) return cached;
    const fresh = { ...(await accessTokens.routerToken(username)), at: Date.now() };
    if (tokens.size > MAX_CACHED_TOKENS) tokens.clear();
    tokens.set(username, fresh);
    return fresh;
  }

  async function call(door: string, username: string, method: string, pathAndQuery: string, init: DataCallInit = {}): Promise<Response> {
    const { token, dataServer } = await routerToken(username);
    const headers: Record<string, string> = { ...init.headers, authorization: `Bearer ${token}`, [DEVICE_HEADER.toLowerCase()]: door };
    const request: RequestInit & { duplex?: 'half' } = { method, headers };
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      request.body = JSON.stringify(init.json);
    } else if (init.body) {
      request.body = init.body;
    } else if (init.stream) {
      headers['content-type'] = 'application/octet-stream';
      headers['content-length'] = String(init.stream.length);
      request.body = Readable.toWeb(init.stream.body) as unknown as ReadableStream<Uint8Array>;
      request.duplex = 'half';
    }
    const controller = new AbortController();
    // A streamed body may take long to arrive from a slow browser: the clock then runs from its end.
    let timer = init.stream ? undefined : setTimeout(() => controller.abort(), ANSWER_TIMEOUT_MS);
    init.stream?.body.once('end', () => (timer = setTimeout(() => controller.abort(), ANSWER_TIMEOUT_MS)));
    init.stream?.body.once('error', () => controller.abort());
    request.signal = controller.signal;
    let res: Response;
    try {
      res = await fetchImpl(`${dataServer.url}${pathAndQuery}`, request);
    } catch (err) {
      if (init.stream?.body.errored || init.stream?.body.readableAborted) {
        throw new MyDropboxError('invalid_request', 'The upload was cut off before all of its bytes arrived; it will be sent again.');
      }
      log.warn({ err, serverId: dataServer.id, username }, 'data server unreachable');
      throw new MyDropboxError(
        'server_unavailable',
        `Your files are on data server ${dataServer.id}, which is not answering right now. Please try again in a minute.`,
      );
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok && res.status !== 304) {
      const body: unknown = await res.json().catch(() => null);
      throw errorFromResponse(res.status, body);
    }
    return res;
  }

  return { forDoor: (door) => (username, method, pathAndQuery, init) => call(door, username, method, pathAndQuery, init) };
}

/** The JSON body of a data server's answer; one that cannot be read is the server's fault, said so. */
export async function answerJson<T>(res: Response): Promise<T> {
  try {
    return (await res.json()) as T;
  } catch {
    throw new MyDropboxError('server_unavailable', 'The data server sent an answer that could not be read; please try again.');
  }
}
