// Typed HTTP client for the user's data server: listing, blocks, commits, deletes, downloads and the change feed, with retries.
import http from 'node:http';
import https from 'node:https';
import { classify, errorFromResponse, isRetryable, MyDropboxError, retryAfterMs } from '@mydropbox/shared';
import type {
  ChangesResponse,
  CommitBatchResponse,
  CommitRequest,
  CommitResult,
  DeletedResponse,
  DeleteResponse,
  EntriesResponse,
  FileEntry,
  FileEntryWithBlocks,
  FolderChangeResponse,
  FolderEntry,
  FoldersResponse,
  ListResponse,
  MissingBlocksResponse,
  OpenUploadResponse,
  RestoreFolderRequest,
  RestoreFolderResponse,
  RestoreRequest,
  RestoreResponse,
  UsageResponse,
  VersionsResponse,
} from '@mydropbox/shared';
import { describeNetworkError, type Session } from './session';
import { systemClock } from './clock';

/** What went over the wire, for the status line, the benchmarks and the tests that assert "only one block". */
export interface TransferStats {
  requests: number;
  bytesSent: number; // request bodies
  bytesReceived: number; // response bodies
  blockBytesSent: number; // block payloads (PUT /v1/blocks)
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 };

export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return exp / 2 + Math.random() * (exp / 2); // jitter so many clients do not come back in step
}

interface CallInit {
  method: string;
  path: string; // e.g. /v1/files?path=…
  body?: Uint8Array | string;
  json?: unknown;
  signal?: AbortSignal;
  /** How long the answer's headers may take (connecting and sending included); default `timeouts.headersMs`. */
  headersMs?: number;
  /** Calls that would do harm if repeated blindly are tried once; the planner sorts out what happened. */
  retry?: boolean;
  /** Sent through node:http instead of fetch: fetch copies a binary body once more, which for a gigabyte is a second of CPU and its garbage. */
  nodeHttp?: boolean;
}

/** Kept-alive connections for the node:http path, shared by every client in the process. */
const AGENTS = { http: new http.Agent({ keepAlive: true, maxSockets: 8 }), https: new https.Agent({ keepAlive: true, maxSockets: 8 }) };

/**
 * No request waits forever: the answer's headers must come within `headersMs` (connecting and sending
 * a small body included), and a body moving either way may not go silent for longer than `stallMs`.
 * A stalled call fails as `server_unavailable` (retryable), so the transfer is tried again.
 */
export interface Timeouts {
  headersMs: number;
  stallMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { headersMs: 30_000, stallMs: 30_000 };

/** Sending a JSON body counts against the headers wait at no less than this rate (a 1 MB body: 16 s more). */
const SLOWEST_SEND_BYTES_PER_MS = 64;

export class RemoteClient {
  readonly stats: TransferStats = { requests: 0, bytesSent: 0, bytesReceived: 0, blockBytesSent: 0 };

  constructor(
    private readonly session: Session & { invalidateAccessToken?(): void },
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly timeouts: Timeouts = DEFAULT_TIMEOUTS,
  ) {}

  list(signal?: AbortSignal): Promise<ListResponse> {
    return this.json<ListResponse>({ method: 'GET', path: '/v1/files', signal });
  }

  /** A file or folder and, with depth 1, a folder's direct children ('' is the top): for browsing the server's tree one folder at a time. */
  entries(path: string, depth: 0 | 1 = 1, signal?: AbortSignal): Promise<EntriesResponse> {
    return this.json<EntriesResponse>({ method: 'GET', path: `/v1/entries?path=${encodeURIComponent(path)}&depth=${depth}`, signal });
  }

  /** The explicit folders (made on purpose, maybe empty); folders holding files are implied by their paths. */
  async folders(signal?: AbortSignal): Promise<FolderEntry[]> {
    return (await this.json<FoldersResponse>({ method: 'GET', path: '/v1/folders', signal })).folders;
  }

  /** Makes an explicit folder (and its parents); one already there is fine. */
  createFolder(path: string): Promise<FolderEntry> {
    return this.json<FolderEntry>({ method: 'POST', path: '/v1/folders', json: { path } });
  }

  /** Deletes a folder with everything in it: the engine asks only for one it saw empty. Tried once. */
  deleteFolder(path: string): Promise<FolderChangeResponse> {
    return this.json<FolderChangeResponse>({ method: 'DELETE', path: `/v1/folders?path=${encodeURIComponent(path)}`, retry: false });
  }

  meta(path: string): Promise<FileEntryWithBlocks> {
    return this.json<FileEntryWithBlocks>({ method: 'GET', path: `/v1/files/meta?path=${encodeURIComponent(path)}` });
  }

  async missingBlocks(hashes: string[]): Promise<string[]> {
    if (hashes.length === 0) return [];
    const res = await this.json<MissingBlocksResponse>({ method: 'POST', path: '/v1/blocks/missing', json: { hashes } });
    return res.missing;
  }

  async putBlock(hash: string, data: Uint8Array): Promise<void> {
    await this.call({ method: 'PUT', path: `/v1/blocks/${hash}`, body: data, raw: true, nodeHttp: true });
    this.stats.blockBytesSent += data.length;
  }

  /** Opens an upload session for a file of several blocks (POST /v1/uploads); its blocks then go to putUploadBlock. */
  async openUpload(size: number, blocks: string[]): Promise<string> {
    const res = await this.json<OpenUploadResponse>({ method: 'POST', path: '/v1/uploads', json: { size, blocks } });
    return res.uploadId;
  }

  /** Block `index` of a session's file, written by the server straight into the commit's temp file. */
  async putUploadBlock(uploadId: string, index: number, data: Uint8Array): Promise<void> {
    await this.call({
      method: 'PUT',
      path: `/v1/uploads/${uploadId}/blocks/${index}`,
      body: data,
      raw: true,
      nodeHttp: true,
    });
    this.stats.blockBytesSent += data.length;
  }

  /** Many small blocks in one body (POST /v1/blocks/batch): [32-byte hash][u32 length][bytes] each. */
  async putBlockBatch(blocks: readonly { hash: string; data: Uint8Array }[]): Promise<void> {
    const frames: Uint8Array[] = [];
    let payload = 0;
    for (const b of blocks) {
      const head = Buffer.alloc(36);
      head.write(b.hash, 0, 'hex');
      head.writeUInt32BE(b.data.length, 32);
      frames.push(head, b.data);
      payload += b.data.length;
    }
    await this.call({ method: 'POST', path: '/v1/blocks/batch', body: Buffer.concat(frames), raw: true, nodeHttp: true });
    this.stats.blockBytesSent += payload;
  }

  /** The raw SHA-256 of each 64 KiB part of a block the server holds (32 bytes each). */
  async blockParts(hash: string): Promise<Buffer> {
    const res = await this.call({ method: 'GET', path: `/v1/blocks/${hash}/parts`, raw: true });
    const body = Buffer.from(await res.arrayBuffer());
    this.stats.bytesReceived += body.length;
    return body;
  }

  /** Block `hash` (`size` bytes) as the parts that differ from block `base`: [u32 index][u32 length][bytes] each. */
  async putBlockDelta(hash: string, base: string, size: number, parts: readonly { index: number; data: Uint8Array }[]): Promise<void> {
    const frames: Uint8Array[] = [];
    let payload = 0;
    for (const p of parts) {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(p.index, 0);
      head.writeUInt32BE(p.data.length, 4);
      frames.push(head, p.data);
      payload += p.data.length;
    }
    await this.call({
      method: 'PUT',
      path: `/v1/blocks/${hash}/delta?base=${base}&size=${size}`,
      body: Buffer.concat(frames),
      raw: true,
      nodeHttp: true,
    });
    this.stats.blockBytesSent += payload;
  }

  /** Many commits in one call; each gets its own result, in order (tried once, like commit). */
  async commitBatch(commits: CommitRequest[]): Promise<CommitResult[]> {
    const res = await this.json<CommitBatchResponse>({
      method: 'POST',
      path: '/v1/commit/batch',
      json: { commits },
      retry: false,
    });
    return res.results;
  }

  commit(req: CommitRequest): Promise<FileEntry> {
    return this.json<FileEntry>({ method: 'POST', path: '/v1/commit', json: req, retry: false });
  }

  deleteFile(path: string, baseRev: number): Promise<DeleteResponse> {
    return this.json<DeleteResponse>({
      method: 'DELETE',
      path: `/v1/files?path=${encodeURIComponent(path)}&baseRev=${baseRev}`,
      retry: false,
    });
  }

  /** Starts a download; the caller reads the body (and it is counted as it goes). */
  async download(path: string, signal?: AbortSignal): Promise<{ body: AsyncIterable<Uint8Array>; contentHash?: string }> {
    const res = await this.call({
      method: 'GET',
      path: `/v1/files/content?path=${encodeURIComponent(path)}`,
      signal,
      raw: true,
    });
    const etag = res.headers.get('etag')?.replace(/"/g, '');
    return { body: this.counted(res), ...(etag ? { contentHash: etag } : {}) };
  }

  /** A response body, counted as it is read. */
  private async *counted(res: Response): AsyncIterable<Uint8Array> {
    if (!res.body) return;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      this.stats.bytesReceived += chunk.length;
      yield chunk;
    }
  }

  /** Long-polls the change feed; `timeoutSeconds` is how long the server may hold the request. */
  changes(cursor: string, timeoutSeconds: number, signal?: AbortSignal): Promise<ChangesResponse> {
    return this.json<ChangesResponse>({
      method: 'GET',
      path: `/v1/changes?cursor=${encodeURIComponent(cursor)}&timeout=${timeoutSeconds}`,
      signal,
      headersMs: timeoutSeconds * 1000 + this.timeouts.headersMs,
      retry: false,
    });
  }

  /** The kept versions of a path, newest first (GET /v1/versions); not_found when the path never existed. */
  versions(path: string, signal?: AbortSignal): Promise<VersionsResponse> {
    return this.json<VersionsResponse>({ method: 'GET', path: `/v1/versions?path=${encodeURIComponent(path)}`, signal });
  }

  /** The bytes of one kept version (GET /v1/versions/content), streamed like download(). */
  async versionContent(id: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const res = await this.call({
      method: 'GET',
      path: `/v1/versions/content?id=${encodeURIComponent(id)}`,
      signal,
      raw: true,
    });
    return this.counted(res);
  }

  /** Deleted paths that have a kept version, newest deletion first, a page at a time (`before`: the previous page's `next`). */
  deleted(options: { under?: string; limit?: number; before?: string } = {}, signal?: AbortSignal): Promise<DeletedResponse> {
    const query = new URLSearchParams();
    if (options.under) query.set('under', options.under);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.before !== undefined) query.set('before', options.before);
    return this.json<DeletedResponse>({ method: 'GET', path: `/v1/deleted?${query.toString()}`, signal });
  }

  /** Brings a version back as a new commit (beside the path when it is taken); tried once, like a commit. */
  restore(req: RestoreRequest): Promise<RestoreResponse> {
    return this.json<RestoreResponse>({ method: 'POST', path: '/v1/restore', json: req, retry: false, headersMs: 120_000 });
  }

  /** Everything deleted under a folder ('' = all), as new commits. */
  restoreFolder(req: RestoreFolderRequest): Promise<RestoreFolderResponse> {
    return this.json<RestoreFolderResponse>({ method: 'POST', path: '/v1/restore/folder', json: req, retry: false, headersMs: 600_000 });
  }

  usage(): Promise<UsageResponse> {
    return this.json<UsageResponse>({ method: 'GET', path: '/v1/usage' });
  }

  private async json<T>(init: CallInit): Promise<T> {
    const res = await this.call({ ...init, raw: false });
    const text = await res.text();
    this.stats.bytesReceived += Buffer.byteLength(text);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new MyDropboxError(
        'server_unavailable',
        `The data server sent a reply that is not JSON to ${init.method} ${init.path.split('?')[0]}.`,
      );
    }
  }

  /** One call with the access token, a fresh token after a 401, and backoff retries for retryable failures. */
  private async call(init: CallInit & { raw: boolean }): Promise<Response> {
    const attempts = init.retry === false ? 1 : this.retry.attempts;
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(init);
      } catch (err) {
        const failure = classify(err);
        if (!refreshed && failure.kind === 'auth' && this.session.invalidateAccessToken) {
          refreshed = true;
          this.session.invalidateAccessToken();
          attempt--;
          continue;
        }
        if (attempt + 1 >= attempts || !isRetryable(err) || init.signal?.aborted) throw err;
        const asked = failure.kind === 'retry' ? (failure.afterMs ?? 0) : 0;
        await systemClock.sleep(Math.max(backoffDelay(attempt, this.retry), asked), init.signal);
      }
    }
  }

  private async once(init: CallInit & { raw: boolean }): Promise<Response> {
    const { accessToken, dataServerUrl } = await this.session.getAccessToken();
    const headers: Record<string, string> = { authorization: `Bearer ${accessToken}` };
    let body: Uint8Array | string | undefined = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] = 'application/json';
    } else if (body !== undefined) headers['content-type'] = 'application/octet-stream';
    this.stats.requests++;
    const bodyBytes = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    this.stats.bytesSent += bodyBytes;
    if (init.nodeHttp) return this.viaNodeHttp(dataServerUrl, init, headers, body);
    // Our own timeouts abort through `watchdog`; the caller's signal (a stop, a cancel) through its own.
    const watchdog = new AbortController();
    const signal = init.signal ? AbortSignal.any([init.signal, watchdog.signal]) : watchdog.signal;
    const headersMs = (init.headersMs ?? this.timeouts.headersMs) + bodyBytes / SLOWEST_SEND_BYTES_PER_MS;
    const timer = setTimeout(
      () => watchdog.abort(stalled(dataServerUrl, `did not answer within ${Math.round(headersMs / 1000)} s`)),
      headersMs,
    );
    let res: Response;
    try {
      res = await fetch(dataServerUrl + init.path, { method: init.method, headers, body, signal });
    } catch (err) {
      if (watchdog.signal.aborted) throw watchdog.signal.reason;
      if (init.signal?.aborted) throw err;
      throw new MyDropboxError('server_unavailable', `Cannot reach your data server at ${dataServerUrl}: ${describeNetworkError(err)}`);
    } finally {
      clearTimeout(timer);
    }
    const guarded = watchBody(res, this.timeouts.stallMs, watchdog, dataServerUrl, init.signal);
    if (guarded.ok) return guarded;
    const text = await guarded.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    throw errorFromResponse(guarded.status, parsed, retryAfterMs(guarded.headers.get('retry-after')));
  }

  /** One request through node:http with the same outcome as fetch: a Response when it succeeded, else the server's error. */
  private viaNodeHttp(
    base: string,
    init: CallInit,
    headers: Record<string, string>,
    body: Uint8Array | string | undefined,
  ): Promise<Response> {
    const url = new URL(base + init.path);
    const signal = init.signal;
    const stallMs = this.timeouts.stallMs;
    return new Promise<Response>((resolve, reject) => {
      const unreachable = (err: unknown) =>
        reject(
          init.signal?.aborted || MyDropboxError.is(err)
            ? err
            : new MyDropboxError('server_unavailable', `Cannot reach your data server at ${base}: ${describeNetworkError(err)}`),
        );
      const req = (url.protocol === 'https:' ? https : http).request(
        url,
        { method: init.method, headers, agent: url.protocol === 'https:' ? AGENTS.https : AGENTS.http, signal },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', unreachable);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(new Response(status === 204 ? null : text, { status }));
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            reject(errorFromResponse(status, parsed, retryAfterMs(res.headers['retry-after'])));
          });
        },
      );
      req.on('error', unreachable);
      // Silence on the socket either way (connecting, sending, waiting, receiving) for stallMs ends the call.
      req.setTimeout(stallMs, () => req.destroy(stalled(base, `went silent for ${Math.round(stallMs / 1000)} s`)));
      req.end(body);
    });
  }
}

function stalled(base: string, what: string): MyDropboxError {
  return new MyDropboxError('server_unavailable', `Your data server at ${base} ${what}; trying again.`, { stalled: true });
}

/**
 * The same response, with a body that may not go silent for longer than `stallMs` while it is being
 * read (the time the reader itself takes is not counted), and whose breaks read as `server_unavailable`.
 */
function watchBody(res: Response, stallMs: number, watchdog: AbortController, base: string, callerSignal?: AbortSignal): Response {
  const source = res.body;
  if (!source) return res;
  const reader = source.getReader();
  let timer: NodeJS.Timeout | undefined;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      timer = setTimeout(() => watchdog.abort(stalled(base, `stopped sending (nothing for ${Math.round(stallMs / 1000)} s)`)), stallMs);
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        controller.error(
          watchdog.signal.aborted
            ? watchdog.signal.reason
            : callerSignal?.aborted
              ? err
              : new MyDropboxError(
                  'server_unavailable',
                  `The connection to your data server at ${base} broke: ${describeNetworkError(err)}`,
                  {
                    stalled: true,
                  },
                ),
        );
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
