// Talks to one user's data server with router-scope tokens: the tree, folders, block uploads, commits, downloads.
import {
  MyDropboxError,
  errorFromResponse,
  type CommitRequest,
  type CopyRequest,
  type EntriesResponse,
  type FileEntry,
  type TreeEntry,
  type UsageResponse,
} from '@mydropbox/shared';
import type { RouterServices } from '../services';

// A router token lives 5 minutes; a long upload asks for a new one well before that.
const TOKEN_REFRESH_MS = 60_000;

export class DataClient {
  private token?: { value: string; url: string; fetchedAt: number };

  constructor(
    private readonly services: RouterServices,
    readonly username: string,
  ) {}

  private async auth(): Promise<{ value: string; url: string }> {
    if (!this.token || Date.now() - this.token.fetchedAt > TOKEN_REFRESH_MS) {
      const t = await this.services.accessTokens.routerToken(this.username);
      this.token = { value: t.token, url: t.dataServer.url, fetchedAt: Date.now() };
    }
    return this.token;
  }

  /** One call to the data server; a non-2xx answer becomes the MyDropboxError it carries. */
  async call(
    method: string,
    pathAndQuery: string,
    init: { json?: unknown; body?: Buffer; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const { value, url } = await this.auth();
    const headers: Record<string, string> = { authorization: `Bearer ${value}`, ...init.headers };
    let body: string | Buffer | undefined = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    let res: Response;
    try {
      res = await fetch(`${url}${pathAndQuery}`, { method, headers, body });
    } catch {
      throw new MyDropboxError('server_unavailable', 'Your data server is not answering right now; please try again in a minute.');
    }
    if (!res.ok && res.status !== 304) throw errorFromResponse(res.status, await res.json().catch(() => null));
    return res;
  }

  private async json<T>(method: string, pathAndQuery: string, json?: unknown): Promise<T> {
    return (await (await this.call(method, pathAndQuery, { json })).json()) as T;
  }

  /** The entry at `path` (and with depth 1 a folder's children); undefined when nothing is there. */
  async entries(path: string, depth: 0 | 1): Promise<EntriesResponse | undefined> {
    try {
      return await this.json<EntriesResponse>('GET', `/v1/entries?path=${encodeURIComponent(path)}&depth=${depth}`);
    } catch (err) {
      if (MyDropboxError.is(err, 'not_found')) return undefined;
      throw err;
    }
  }

  async stat(path: string): Promise<TreeEntry | undefined> {
    return (await this.entries(path, 0))?.entry;
  }

  async makeFolder(path: string): Promise<void> {
    await this.json('POST', '/v1/folders', { path });
  }

  async deleteFile(path: string): Promise<void> {
    await this.json('DELETE', `/v1/files?path=${encodeURIComponent(path)}`);
  }

  async deleteFolder(path: string): Promise<void> {
    await this.json('DELETE', `/v1/folders?path=${encodeURIComponent(path)}`);
  }

  async transfer(kind: 'file' | 'folder', op: 'copy' | 'move', req: CopyRequest): Promise<void> {
    await this.json('POST', `/v1/${kind === 'file' ? 'files' : 'folders'}/${op}`, req);
  }

  usage(): Promise<UsageResponse> {
    return this.json<UsageResponse>('GET', '/v1/usage');
  }

  async missing(hashes: string[]): Promise<string[]> {
    return (await this.json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes })).missing;
  }

  async putBlock(hash: string, data: Buffer): Promise<void> {
    const res = await this.call('PUT', `/v1/blocks/${hash}`, { body: data, headers: { 'content-type': 'application/octet-stream' } });
    await res.arrayBuffer();
  }

  commit(req: CommitRequest): Promise<FileEntry> {
    return this.json<FileEntry>('POST', '/v1/commit', req);
  }

  /** The data server's answer for a file's bytes, Range and conditional headers passed through. */
  download(path: string, headers: Record<string, string>): Promise<Response> {
    return this.call('GET', `/v1/files/content?path=${encodeURIComponent(path)}`, { headers });
  }
}
