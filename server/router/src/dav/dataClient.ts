// One user's data server as WebDAV sees it: the tree, folders, block uploads, commits, downloads.
import {
  MyDropboxError,
  type CommitRequest,
  type CopyRequest,
  type EntriesResponse,
  type FileEntry,
  type TreeEntry,
  type UsageResponse,
} from '@mydropbox/shared';
import { answerJson, type DataServerCall } from '../services';

/** What the data server records as the device behind changes made over WebDAV. */
export const WEBDAV_DEVICE = 'WebDAV';

export class DataClient {
  constructor(
    private readonly send: DataServerCall,
    readonly username: string,
  ) {}

  /** One call to the data server; a non-2xx answer becomes the MyDropboxError it carries. */
  call(
    method: string,
    pathAndQuery: string,
    init: { json?: unknown; body?: Buffer; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    return this.send(this.username, method, pathAndQuery, init);
  }

  private async json<T>(method: string, pathAndQuery: string, json?: unknown): Promise<T> {
    return answerJson<T>(await this.call(method, pathAndQuery, { json }));
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
