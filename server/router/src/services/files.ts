// The gateway to a user's data server for the website and the API download proxy, using router-scope tokens.
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import {
  MyDropboxError,
  errorFromResponse,
  normalizePath,
  type CommitBatchResponse,
  type DeletedResponse,
  type RestoreFolderResponse,
  type RestoreResponse,
  type VersionsResponse,
  type CommitRequest,
  type DataServerAddress,
  type CommitResult,
  type CopyRequest,
  type DeleteResponse,
  type EntriesResponse,
  type FileEntry,
  type FolderChangeResponse,
  type FolderEntry,
  type FoldersResponse,
  type ListResponse,
  type OpenUploadResponse,
  type TreeEntry,
  type UsageResponse,
} from '@mydropbox/shared';
import type { Logger } from '@mydropbox/server-common';
import type { AccessTokenService } from './accessTokens';

export interface Download {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

/** Everything a person keeps: the files, and the folders made on purpose (empty ones included). */
export interface Tree {
  files: FileEntry[];
  folders: FolderEntry[];
}

export interface FileGateway {
  list(username: string): Promise<FileEntry[]>;
  /** Files and explicit folders, read in parallel. */
  tree(username: string): Promise<Tree>;
  usage(username: string): Promise<UsageResponse>;
  /** The file or folder at `path` ('' is the top), or undefined when nothing is there. */
  entry(username: string, path: string): Promise<TreeEntry | undefined>;
  /** Streams a file (or the asked Range of it) from the user's data server; never buffers it. */
  download(username: string, path: string, rangeHeader?: string): Promise<Download>;
  delete(username: string, path: string, baseRev?: number): Promise<DeleteResponse>;
  deleteFolder(username: string, path: string): Promise<FolderChangeResponse>;
  makeFolder(username: string, path: string): Promise<FolderEntry>;
  /** Server-side copy or move of a file or a whole folder: no bytes travel. */
  transfer(username: string, kind: 'file' | 'folder', op: 'copy' | 'move', req: CopyRequest): Promise<void>;
  missingBlocks(username: string, hashes: string[]): Promise<string[]>;
  openUpload(username: string, size: number, blocks: string[]): Promise<string>;
  /** Streams one block's bytes (exactly `length`) into an upload session. */
  sendUploadBlock(username: string, uploadId: string, index: number, body: Readable, length: number): Promise<void>;
  /** Streams a BLOCK_BATCH body (many small blocks) to be staged. */
  sendBlockBatch(username: string, body: Readable, length: number): Promise<void>;
  commit(username: string, req: CommitRequest): Promise<FileEntry>;
  commitBatch(username: string, commits: CommitRequest[]): Promise<CommitResult[]>;
  /** The kept versions of a file, newest first. */
  versions(username: string, path: string): Promise<VersionsResponse>;
  /** The bytes of a kept version (or the asked Range of them), streamed. */
  downloadVersion(username: string, id: string, rangeHeader?: string): Promise<Download>;
  /** Deleted paths that can be restored, newest deletion first, a page at a time. */
  deleted(username: string, opts: { under?: string; limit?: number; before?: string }): Promise<DeletedResponse>;
  restore(username: string, path: string, versionId?: string): Promise<RestoreResponse>;
  restoreFolder(username: string, path: string): Promise<RestoreFolderResponse>;
  /** Removes everything of the user on their data server (DELETE /v1/account; idempotent). */
  deleteAccount(username: string): Promise<void>;
}

/** The door the data server records as the device behind website changes (trusted only with a router token). */
export const WEBSITE_DEVICE = 'Website';

// Headers of a download worth passing on to the browser or client.
const PASSED_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'etag', 'last-modified'];
// Waiting for the data server's answer (headers), not for the whole body: a big download may take long.
const ANSWER_TIMEOUT_MS = 30_000;
const TOKEN_REUSE_MS = 60_000;

interface CallInit {
  headers?: Record<string, string>;
  json?: unknown;
  /** A streamed request body of exactly `length` bytes. */
  stream?: { body: Readable; length: number };
}

export function createFileGateway(deps: { accessTokens: AccessTokenService; fetchImpl: typeof fetch; log: Logger }): FileGateway {
  const { accessTokens, fetchImpl, log } = deps;

  // A router token lives 5 minutes; one is reused for a minute, so a zip of many files or an upload of
  // many blocks does not sign and look up the account for every request.
  const tokens = new Map<string, { token: string; dataServer: DataServerAddress; at: number }>();
  async function routerToken(username: string): Promise<{ token: string; dataServer: DataServerAddress }> {
    const cached = tokens.get(username);
    if (cached && Date.now() - cached.at < TOKEN_REUSE_MS) return cached;
    const fresh = { ...(await accessTokens.routerToken(username)), at: Date.now() };
    if (tokens.size > 10_000) tokens.clear();
    tokens.set(username, fresh);
    return fresh;
  }

  async function call(username: string, method: string, pathAndQuery: string, init: CallInit = {}): Promise<Response> {
    const { token, dataServer } = await routerToken(username);
    const headers: Record<string, string> = {
      ...init.headers,
      authorization: `Bearer ${token}`,
      'x-mydropbox-device': WEBSITE_DEVICE,
    };
    const request: RequestInit & { duplex?: 'half' } = { method, headers };
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      request.body = JSON.stringify(init.json);
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

  const q = (path: string) => encodeURIComponent(path);

  function streamed(res: Response): Download {
    const headers: Record<string, string> = {};
    for (const name of PASSED_HEADERS) {
      const value = res.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    const body = res.body ? Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>) : Readable.from([]);
    return { status: res.status, headers, body };
  }

  return {
    async list(username) {
      return (await json<ListResponse>(await call(username, 'GET', '/v1/files'))).files;
    },
    async tree(username) {
      const [list, folders] = await Promise.all([
        call(username, 'GET', '/v1/files').then((res) => json<ListResponse>(res)),
        call(username, 'GET', '/v1/folders').then((res) => json<FoldersResponse>(res)),
      ]);
      return { files: list.files, folders: folders.folders };
    },
    async usage(username) {
      return json<UsageResponse>(await call(username, 'GET', '/v1/usage'));
    },
    async entry(username, path) {
      const p = path === '' ? '' : normalizePath(path);
      try {
        return (await json<EntriesResponse>(await call(username, 'GET', `/v1/entries?path=${q(p)}&depth=0`))).entry;
      } catch (err) {
        if (MyDropboxError.is(err, 'not_found')) return undefined;
        throw err;
      }
    },
    async download(username, path, rangeHeader) {
      const p = normalizePath(path);
      return streamed(
        await call(username, 'GET', `/v1/files/content?path=${q(p)}`, { headers: rangeHeader ? { range: rangeHeader } : {} }),
      );
    },
    async downloadVersion(username, id, rangeHeader) {
      return streamed(
        await call(username, 'GET', `/v1/versions/content?id=${q(id)}`, { headers: rangeHeader ? { range: rangeHeader } : {} }),
      );
    },
    async versions(username, path) {
      return json<VersionsResponse>(await call(username, 'GET', `/v1/versions?path=${q(normalizePath(path))}`));
    },
    async deleted(username, opts) {
      const params = new URLSearchParams();
      if (opts.under) params.set('under', normalizePath(opts.under));
      if (opts.limit !== undefined) params.set('limit', String(opts.limit));
      if (opts.before) params.set('before', opts.before);
      return json<DeletedResponse>(await call(username, 'GET', `/v1/deleted?${params.toString()}`));
    },
    async restore(username, path, versionId) {
      const body = versionId === undefined ? { path: normalizePath(path) } : { path: normalizePath(path), versionId };
      return json<RestoreResponse>(await call(username, 'POST', '/v1/restore', { json: body }));
    },
    async restoreFolder(username, path) {
      return json<RestoreFolderResponse>(
        await call(username, 'POST', '/v1/restore/folder', { json: { path: path === '' ? '' : normalizePath(path) } }),
      );
    },
    async deleteAccount(username) {
      const res = await call(username, 'DELETE', '/v1/account');
      await res.body?.cancel();
    },
    async delete(username, path, baseRev) {
      const p = normalizePath(path);
      const query = `path=${q(p)}${baseRev === undefined ? '' : `&baseRev=${baseRev}`}`;
      return json<DeleteResponse>(await call(username, 'DELETE', `/v1/files?${query}`));
    },
    async deleteFolder(username, path) {
      return json<FolderChangeResponse>(await call(username, 'DELETE', `/v1/folders?path=${q(normalizePath(path))}`));
    },
    async makeFolder(username, path) {
      return json<FolderEntry>(await call(username, 'POST', '/v1/folders', { json: { path: normalizePath(path) } }));
    },
    async transfer(username, kind, op, req) {
      const res = await call(username, 'POST', `/v1/${kind === 'file' ? 'files' : 'folders'}/${op}`, { json: req });
      await res.arrayBuffer();
    },
    async missingBlocks(username, hashes) {
      return (await json<{ missing: string[] }>(await call(username, 'POST', '/v1/blocks/missing', { json: { hashes } }))).missing;
    },
    async openUpload(username, size, blocks) {
      return (await json<OpenUploadResponse>(await call(username, 'POST', '/v1/uploads', { json: { size, blocks } }))).uploadId;
    },
    async sendUploadBlock(username, uploadId, index, body, length) {
      const res = await call(username, 'PUT', `/v1/uploads/${q(uploadId)}/blocks/${index}`, { stream: { body, length } });
      await res.arrayBuffer();
    },
    async sendBlockBatch(username, body, length) {
      const res = await call(username, 'POST', '/v1/blocks/batch', { stream: { body, length } });
      await res.arrayBuffer();
    },
    async commit(username, req) {
      return json<FileEntry>(await call(username, 'POST', '/v1/commit', { json: req }));
    },
    async commitBatch(username, commits) {
      return (await json<CommitBatchResponse>(await call(username, 'POST', '/v1/commit/batch', { json: { commits } }))).results;
    },
  };
}
