// Removes everything of one user on this data server (the website's "Delete account"): rows first, then the bytes.
import fs from 'node:fs/promises';
import type { VersionsRepository } from '../store/versionsRepository';
import type { VersionPacks } from '../store/versionPacks';
import type { UserFiles } from '../store/userFiles';
import type { BlockStaging } from '../store/blockStaging';
import type { FileWrites } from './fileWrites';
import type { ChangeFeed } from './changeFeed';

export interface AccountRemovalDeps {
  versions: VersionsRepository;
  packs: VersionPacks;
  disk: UserFiles;
  staging: BlockStaging;
  writes: FileWrites;
  feed: ChangeFeed;
}

/**
 * Rows go first, in one transaction, then the folders on disk: a crash in between leaves bytes no row
 * names, which the router's retry of the same call removes (it is idempotent), never a row without bytes.
 */
export async function removeAccount(d: AccountRemovalDeps, owner: string): Promise<void> {
  await d.writes.locked(owner, async () => {
    await d.versions.removeOwner(owner);
    await fs.rm(d.disk.userDir(owner), { recursive: true, force: true });
    await d.packs.removeOwner(owner);
    await fs.rm(d.staging.userDir(owner), { recursive: true, force: true });
  });
  d.feed.notify(owner);
}
