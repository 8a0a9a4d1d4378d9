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
    this.checkCommitWithin((await this.files.usage(owner)).usedBytes, oldSize, newSize);
  }

  /** The same rule against `usedBytes` (for the next commit of a batch: the bytes the batch has used so far). */
  checkCommitWithin(usedBytes: number, oldSize: number, newSize: number): void {
    if (usedBytes - oldSize + newSize > this.quotaBytes)
      throw this.exceeded(usedBytes, `this file needs ${formatBytes(newSize - oldSize)} more`);
  }

  /** Bytes of upload sessions still open for `owner` (uploadSessions.ts tells; none until it does). */
  private openUploads: (owner: string) => number = () => 0;

  countOpenUploads(bytesOf: (owner: string) => number): void {
    this.openUploads = bytesOf;
  }

  /**
   * The one rule every upload path (a block, a batch, a delta, an upload session) asks before it
   * writes: the committed files plus the upload stay within the quota, and the uploads waiting for a
   * commit (staged blocks and open sessions together) plus this one stay within it too. So an
   * account holds at most its quota in files and one more in waiting uploads, which any file can be
   * replaced with (the commit then checks the real total). Counted apart, sessions were a third quota.
   */
  async checkUpload(owner: string, incoming: number): Promise<void> {
    const [{ usedBytes }, staged] = await Promise.all([this.files.usage(owner), this.staging.stagedBytes(owner)]);
    const waiting = staged + this.openUploads(owner) + (this.reserved.get(owner) ?? 0);
    if (usedBytes + incoming > this.quotaBytes) throw this.exceeded(usedBytes, `this upload needs ${formatBytes(incoming)} more`);
    if (waiting + incoming > this.quotaBytes) {
      throw this.exceeded(usedBytes, `${formatBytes(waiting)} of uploads are still waiting for a commit`);
    }
  }

  /** Bytes admitted by `reserveUpload` and not yet staged or opened, per user. */
  private readonly reserved = new Map<string, number>();

  /**
   * `checkUpload`, and the bytes held for the caller until it calls the returned release (once its
   * block is staged or its session counted): uploads arriving together are not each checked against
   * the same room.
   */
  async reserveUpload(owner: string, incoming: number): Promise<() => void> {
    await this.checkUpload(owner, incoming);
    // No await between the check's last read and this: the next check sees these bytes.
    this.reserved.set(owner, (this.reserved.get(owner) ?? 0) + incoming);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.reserved.get(owner) ?? 0) - incoming;
      if (left > 0) this.reserved.set(owner, left);
      else this.reserved.delete(owner);
    };
  }

  private exceeded(usedBytes: number, need: string): MyDropboxError {
    return new MyDropboxError(
      'quota_exceeded',
      `Quota exceeded: ${formatBytes(usedBytes)} used of ${formatBytes(this.quotaBytes)} and ${need}; delete files to free space.`,
      { usedBytes, quotaBytes: this.quotaBytes },
    );
  }
}
