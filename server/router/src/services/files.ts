// The gateway to a user's data server for the website, WebDAV and the API download proxy, using router-scope tokens.
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import {
  MyDropboxError,
  errorFromResponse,
  normalizePath,
  DeleteResponse,
  FileEntry,
  ListResponse,
  UsageResponse,
} from '@mydropbox/shared';
import type { Logger } from '@mydropbox/server-common';
import type { AccessTokenService } from './accessTokens';

export interface Download {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

export interface FileGateway {
  list(username: string): Promise<FileEntry[]>;
  usage(username: string): Promise<UsageResponse>;
  /** Streams a file (or the asked Range of it) from the user's data server; never buffers it. */
  download(username: string, path: string, rangeHeader?: string): Promise<Download>;
  delete(username: string, path: string, baseRev?: number): Promise<DeleteResponse>;
}

// Headers of a download worth passing on to the browser or client.
const PASSED_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'etag', 'last-modified'];
// Waiting for the data server's answer (headers), not for the whole body: a big download may take long.
const ANSWER_TIMEOUT_MS = 30_000;

export function createFileGateway(deps: { accessTokens: AccessTokenService; fetchImpl: typeof fetch; log: Logger }): FileGateway {
  const { accessTokens, fetchImpl, log } = deps;

  async function call(username: string, method: string, pathAndQuery: string, headers: Record<string, string> = {}): Promise<Response> {
    const { token, dataServer } = await accessTokens.routerToken(username);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ANSWER_TIMEOUT_MS);
    let res: Response;
    try {
      res = await fetchImpl(`${dataServer.url}${pathAndQuery}`, {
        method,
        headers: { ...headers, authorization: `Bearer ${token}` },
        signal: controller.signal,
      });
    } catch (err) {
      log.warn({ err, serverId: dataServer.id, username }, 'data server unreachable');
      throw new MyDropboxError(
        'server_unavailable',
        `Your files are on data server ${dataServer.id}, which is not answering right now. Please try again in a minute.`,
      );
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) {
      const body: unknown = await res.json().catch(() => null);
      throw errorFromResponse(res.status, body);
    }
    return res;
  }

  async function json<T>(res: Response): Promise<T> {
    try {
      return (await res.json()) as T;
    } catch {
      throw new MyDropboxError('server_unavailable', 'The data server sent an answer that could not be read; please try again.');
    }
  }

  return {
    async list(username) {
      return (await json<ListResponse>(await call(username, 'GET', '/v1/files'))).files;
    },
    async usage(username) {
      return json<UsageResponse>(await call(username, 'GET', '/v1/usage'));
    },
    async download(username, path, rangeHeader) {
      const p = normalizePath(path);
      const res = await call(username, 'GET', `/v1/files/content?path=${encodeURIComponent(p)}`, rangeHeader ? { range: rangeHeader } : {});
      const headers: Record<string, string> = {};
      for (const name of PASSED_HEADERS) {
        const value = res.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      const body = res.body ? Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>) : Readable.from([]);
      return { status: res.status, headers, body };
    },
    async delete(username, path, baseRev) {
      const p = normalizePath(path);
      const query = `path=${encodeURIComponent(p)}${baseRev === undefined ? '' : `&baseRev=${baseRev}`}`;
      return json<DeleteResponse>(await call(username, 'DELETE', `/v1/files?${query}`));
    },
  };
}
