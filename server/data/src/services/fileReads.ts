// Reading a user's files: listing, metadata, usage, missing blocks, and opening content for download.
import type { FileHandle } from 'node:fs/promises';
import type { FileEntryWithBlocks, ListResponse, MissingBlocksResponse, UsageResponse } from '@mydropbox/shared';
import { MyDropboxError } from '@mydropbox/shared';
import { FilesRepository, FileRow, toEntry } from '../store/filesRepository';
import type { UserFiles } from '../store/userFiles';
import type { BlockStaging } from '../store/blockStaging';
import type { ChangeFeed } from './changeFeed';
import type { KeyedMutex } from './keyedMutex';
import type { OpenReads } from '../store/openReads';
import type { KeptBlocks } from './assembler';

export interface ReadDeps {
  files: FilesRepository;
  disk: UserFiles;
  staging: BlockStaging;
  feed: ChangeFeed;
  publishLock: KeyedMutex;
  /** Every handle `open` gives out is counted here until closed (an in-place patch waits for none). */
  openReads: OpenReads;
  quotaBytes: number;
  /** Blocks kept for versions count as held: a file deleted and sent again needs no upload. */
  kept?: KeptBlocks;
}

export class FileReads {
  constructor(private readonly d: ReadDeps) {}

  async list(owner: string): Promise<ListResponse> {
    // The cursor is read first: a commit landing in between shows up in both, which a client handles.
    const cursor = await this.d.feed.cursorNow(owner);
    return { files: await this.d.files.listLive(owner), cursor };
  }

  async meta(owner: string, path: string): Promise<FileEntryWithBlocks> {
    const row = await this.d.files.getLive(owner, path);
    if (!row) throw notFound(path);
    return { ...toEntry(row), blocks: await this.d.files.blocksOf(owner, path) };
  }

  async usage(owner: string): Promise<UsageResponse> {
    const { usedBytes, fileCount } = await this.d.files.usage(owner);
    return { usedBytes, quotaBytes: this.d.quotaBytes, fileCount };
  }

  /** Blocks neither staged nor part of a live file of the user, in the order asked, once each. */
  async missing(owner: string, hashes: readonly string[]): Promise<MissingBlocksResponse> {
    const unique = [...new Set(hashes)].filter((h) => !this.d.staging.has(owner, h));
    const held = unique.length ? await this.d.files.holders(owner, unique, 1) : new Map();
    const notHeld = unique.filter((h) => !held.has(h));
    const kept = notHeld.length && this.d.kept ? await this.d.kept.locate(owner, notHeld) : new Map<string, unknown>();
    return { missing: notHeld.filter((h) => !kept.has(h)) };
  }

  /**
   * The live row of `path` and an open handle on its bytes, taken together under the publish lock
   * so the bytes are the version the row (and so the ETag) describes.
   */
  async open(owner: string, path: string): Promise<{ row: FileRow; handle: FileHandle }> {
    return this.d.publishLock.run(owner, async () => {
      const row = await this.d.files.getLive(owner, path);
      if (!row) throw notFound(path);
      let handle: FileHandle;
      try {
        handle = await this.d.disk.open(owner, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notAsRecorded(path);
        throw err;
      }
      // Never a Content-Length from the row over other bytes: a client would wait for bytes that never come.
      if ((await handle.stat()).size !== row.size) {
        await handle.close();
        throw notAsRecorded(path);
      }
      this.d.openReads.track(this.d.disk.abs(owner, path), handle);
      return { row, handle };
    });
  }
}

/** Files whose bytes are checked against their content hash on every download (they are read whole anyway). */
export const VERIFIED_DOWNLOAD_MAX_BYTES = 1024 * 1024;

/**
 * The file's bytes on disk are not what its row names (a damage the start-up check or fsck reports):
 * the download fails before any byte is sent, and the client tries again later.
 */
export function notAsRecorded(path: string): MyDropboxError {
  return new MyDropboxError(
    'internal',
    `The bytes of "${path}" on the data server do not match its record; the download was stopped. The server's administrator can run fsck (docs/operations.md).`,
  );
}

function notFound(path: string): MyDropboxError {
  return new MyDropboxError('not_found', `There is no file "${path}".`);
}
