// Accepting one uploaded block: size limit, quota, then the verified write into staging.
import type { Readable } from 'node:stream';
import { BLOCK_SIZE, MyDropboxError } from '@mydropbox/shared';
import type { BlockStaging } from '../store/blockStaging';
import type { Quota } from './quota';

export class BlockUploads {
  constructor(
    private readonly staging: BlockStaging,
    private readonly quota: Quota,
  ) {}

  /** `declaredLength` is the request's Content-Length when it sent one: too big is refused unread. */
  async receive(owner: string, hash: string, body: Readable, declaredLength: number | undefined): Promise<number> {
    if (declaredLength !== undefined && declaredLength > BLOCK_SIZE) {
      throw new MyDropboxError('payload_too_large', `A block holds at most ${BLOCK_SIZE} bytes; this one has ${declaredLength}.`);
    }
    await this.quota.checkUpload(owner, declaredLength ?? 0);
    return this.staging.receive(owner, hash, body, (bytes) => this.quota.checkUpload(owner, bytes));
  }
}
