// The gateway to a user's data server for the website and the API download proxy, using router-scope tokens.
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import {
  MyDropboxError,
  normalizePath,
  type CommitBatchResponse,
  type DeletedResponse,
  type RestoreFolderResponse,
  type RestoreResponse,
  type VersionsResponse,
  type CommitRequest,
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
import { BYTE_RANGE_HEADERS } from '@mydropbox/server-common';
import { answerJson, type DataServerClient } from './dataServerClient';

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
const PASSED_HEADERS = ['content-type', ...BYTE_RANGE_HEADERS];

export function createFileGateway(deps: { dataServers: DataServerClient }): FileGateway {
  const call = deps.dataServers.forDoor(WEBSITE_DEVICE);
  const json = answerJson;

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
