// The `mydropbox:` file system: the server's files (and their kept versions), opened read-only in the editor and in diffs.
import { MyDropboxError, type TreeEntry } from '@mydropbox/shared';
import type * as vscode from 'vscode';
import type { Host } from './host';
import { t } from './l10n';
import type { RemoteClient } from './sync';
import type { SyncController } from './syncController';
import { relativePath, SERVER_SCHEME, serverUri, versionOf } from './syncPaths';

/** Past this, a file is not read into the editor's memory; Download… saves it instead. */
export const MAX_OPEN_BYTES = 64 * 1000 * 1000;

/** What `/v1/entries` says about a path, plus who changed it last where the server tells. */
export type ServerEntry = TreeEntry & { device?: string | null };

/** A kept version's bytes (the storage endpoints' GET /v1/versions/content), when the server has version history. */
export type VersionReader = (remote: RemoteClient, versionId: string) => Promise<AsyncIterable<Uint8Array>>;

export class ServerFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changes: vscode.EventEmitter<vscode.FileChangeEvent[]>;
  readonly onDidChangeFile: vscode.Event<vscode.FileChangeEvent[]>;
  private readonly subscription: vscode.Disposable;
  /** Set once the server's version history is wired (history.ts). */
  versionReader: VersionReader | undefined;

  constructor(
    private readonly host: Host,
    private readonly controller: SyncController,
  ) {
    this.changes = new host.EventEmitter<vscode.FileChangeEvent[]>();
    this.onDidChangeFile = this.changes.event;
    // An open server file follows the server: the change feed's paths reach here through the engine.
    this.subscription = controller.listen({
      pathsChanged: (paths) => {
        if (paths?.length) this.changes.fire(paths.map((p) => ({ type: host.FileChangeType.Changed, uri: serverUri(host, p) })));
      },
    });
  }

  watch(): vscode.Disposable {
    return { dispose: () => undefined };
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const entry = await this.entry(uri);
    return {
      type: entry.kind === 'folder' ? this.host.FileType.Directory : this.host.FileType.File,
      ctime: entry.createdAt,
      mtime: entry.modifiedAt,
      size: entry.size,
      permissions: this.host.FilePermission.Readonly,
    };
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    const rel = this.pathOf(uri);
    const listing = await this.call(uri, (remote) => remote.entries(rel, 1));
    return listing.children.map((c) => [
      c.path.slice(c.path.lastIndexOf('/') + 1),
      c.kind === 'folder' ? this.host.FileType.Directory : this.host.FileType.File,
    ]);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const rel = this.pathOf(uri);
    const version = versionOf(uri);
    return this.call(uri, async (remote) => {
      let body: AsyncIterable<Uint8Array>;
      if (version !== undefined) {
        if (!this.versionReader) throw this.host.FileSystemError.Unavailable(t('This server keeps no version history.'));
        body = await this.versionReader(remote, version);
      } else {
        const entry = await this.entry(uri);
        if (entry.kind === 'folder') throw this.host.FileSystemError.FileIsADirectory(uri);
        if (entry.size > MAX_OPEN_BYTES)
          throw this.host.FileSystemError.Unavailable(t('{0} is too big to open from the server; use Download… instead.', rel));
        body = (await remote.download(rel)).body;
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of body) {
        size += chunk.length;
        if (size > MAX_OPEN_BYTES)
          throw this.host.FileSystemError.Unavailable(t('{0} is too big to open from the server; use Download… instead.', rel));
        chunks.push(chunk);
      }
      return Buffer.concat(chunks);
    });
  }

  writeFile(): never {
    throw this.readOnly();
  }
  createDirectory(): never {
    throw this.readOnly();
  }
  delete(): never {
    throw this.readOnly();
  }
  rename(): never {
    throw this.readOnly();
  }

  dispose(): void {
    this.subscription.dispose();
    this.changes.dispose();
  }

  private async entry(uri: vscode.Uri): Promise<ServerEntry> {
    const rel = this.pathOf(uri);
    return (await this.call(uri, (remote) => remote.entries(rel, 0))).entry;
  }

  private pathOf(uri: vscode.Uri): string {
    if (uri.path === '/' || uri.path === '') return '';
    const rel = relativePath('', { scheme: SERVER_SCHEME, path: uri.path, fsPath: uri.path });
    if (rel === undefined) throw this.host.FileSystemError.FileNotFound(uri);
    return rel;
  }

  /** One server call, its errors in the words VS Code shows for files. */
  private async call<T>(uri: vscode.Uri, fn: (remote: RemoteClient) => Promise<T>): Promise<T> {
    const remote = this.controller.remote();
    if (!remote) throw this.host.FileSystemError.Unavailable(t('Sign in to MyDropbox to open files from the server.'));
    try {
      return await fn(remote);
    } catch (err) {
      if (MyDropboxError.is(err, 'not_found')) throw this.host.FileSystemError.FileNotFound(uri);
      if (MyDropboxError.is(err)) throw this.host.FileSystemError.Unavailable(err.message);
      throw err;
    }
  }

  private readOnly(): Error {
    return this.host.FileSystemError.NoPermissions(
      t('Files from the server open read-only. Edit the copy in your MyDropbox folder; it syncs by itself.'),
    );
  }
}
