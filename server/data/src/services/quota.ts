// The per-user quota: checked before a block is staged and before a commit writes anything.
import { MyDropboxError, formatBytes } from '@mydropbox/shared';
import type { FilesRepository } from '../store/filesRepository';
import type { BlockStaging } from '../store/blockStaging';

export class Quota {
  constructor(
    private readonly files: FilesRepository,
    private readonly staging: BlockStaging,
    readonly quotaBytes: number,
  ) {}

  /** A commit replacing `oldSize` bytes with `newSize` bytes. */
  async checkCommit(owner: string, oldSize: number, newSize: number): Promise<void> {
    const { usedBytes } = await this.files.usage(owner);
    if (usedBytes - oldSize + newSize > this.quotaBytes) {
      throw this.exceeded(usedBytes, `this file needs ${formatBytes(newSize - oldSize)} more`);
    }
  }

  /** The same check for the next commit of a batch, against the bytes the batch has used so far. */
  checkCommitWithin(usedBytes: number, oldSize: number, newSize: number): void {
    if (usedBytes - oldSize + newSize > this.quotaBytes)
      throw this.exceeded(usedBytes, `this file needs ${formatBytes(newSize - oldSize)} more`);
  }

  /**
   * A block is refused when the user is already too full for it, or when blocks waiting for a
   * commit would pass a whole quota (uploads without commits must not fill the disk). Staged
   * blocks are not added to the used bytes: replacing a file near the quota needs its new blocks
   * staged while the old version still counts, and the commit then checks the real total.
   */
  async checkUpload(owner: string, incoming: number): Promise<void> {
    const [{ usedBytes }, staged] = await Promise.all([this.files.usage(owner), this.staging.stagedBytes(owner)]);
    if (usedBytes + incoming > this.quotaBytes) throw this.exceeded(usedBytes, `this upload needs ${formatBytes(incoming)} more`);
    if (staged + incoming > this.quotaBytes) {
      throw this.exceeded(usedBytes, `${formatBytes(staged)} of uploaded blocks are still waiting for a commit`);
    }
  }

  private exceeded(usedBytes: number, need: string): MyDropboxError {
    return new MyDropboxError(
      'quota_exceeded',
      `Quota exceeded: ${formatBytes(usedBytes)} used of ${formatBytes(this.quotaBytes)} and ${need}; delete files to free space.`,
      { usedBytes, quotaBytes: this.quotaBytes },
    );
  }
}
