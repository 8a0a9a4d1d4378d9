// What the engine's passes are given to reach the folder and the server: the real ones by default (node:fs
// behind the scanner, the hasher and the executor; the data server through RemoteClient), in-memory ones in
// the simulator (extension/test/sim).
import fs from 'node:fs';
import type { RemoteClient } from './remote';
import { IgnoreRules } from './ignore';
import { scanFolder, type ScanResult } from './scanner';
import { execute, type ExecutionReport, type ExecutorContext } from './executor';
import type { Action } from './planner';
import { feedIdentity } from './remoteTree';
import { checkSyncedFolder } from './folderMarker';
import { checkAccount } from './lifecycle';
import { refreshLocal } from './refresh';
import type { EngineState } from './engineState';

/** The data server as the passes, the refresh and the feed follower use it (RemoteClient is one). */
export type SyncServer = Pick<RemoteClient, 'list' | 'changes' | 'meta' | 'folders' | 'entries' | 'createFolder' | 'deleteFolder'>;

/** The folder side of a pass, and the executor. */
export interface LocalIO {
  /** Throws folder_unavailable unless the folder is still the one synced (its marker): never read a missing folder as "all deleted". */
  checkFolder(s: EngineState): void;
  loadRules(s: EngineState): Promise<IgnoreRules>;
  /** Whose feed the cursor is (remoteTree.ts), checked against the account the state was synced for. */
  identity(s: EngineState): Promise<string>;
  /** The folder as it is now, over the index (an unchanged file is a mark on its entry). */
  scan(s: EngineState): Promise<ScanResult>;
  /** Our own temp files a crash left behind. */
  removeStrayTemps(files: readonly string[]): Promise<void>;
  /** Reads again the files in `s.dirtyLocal` (refresh.ts). */
  refreshLocal(s: EngineState): Promise<void>;
  execute(ctx: ExecutorContext, actions: readonly Action[]): Promise<ExecutionReport>;
}

export const nodeLocalIO: LocalIO = {
  checkFolder: (s) => checkSyncedFolder(s.folder, s.folderId),
  loadRules: (s) => IgnoreRules.load(s.folder),
  identity: async (s) => {
    const id = await feedIdentity(s.opts.session);
    checkAccount(s, id);
    return id;
  },
  scan: (s) => {
    const index = s.index!;
    return scanFolder(s.folder, s.rules, {
      get: (p) => s.local.get(p) ?? index.get(p),
      canonical: (p) => index.canonical(p),
      base: index.tree,
      expected: index.size,
      reuse: (p, st, into) => (s.local.has(p) ? s.local.copyIfSameStat(p, st, into) : into.markIfSameAsBase(p, st)),
      beforeReading: (dirRel) => s.watcher?.watchFolder(dirRel),
    });
  },
  removeStrayTemps: async (files) => {
    await Promise.all(files.map((f) => fs.promises.rm(f, { force: true })));
  },
  refreshLocal,
  execute,
};
