// What the hosts ask of a running engine about single paths: read-only views over its state.
import { baseName } from '@mydropbox/shared';
import type { PathStateView } from './pathStates';
import { isConflictedCopy } from './conflict';
import type { EngineState } from './engineState';

/** What pathState reads, made once: the editor asks for every row it draws. Used only while the index is open. */
export function pathViewOf(s: EngineState): PathStateView {
  return {
    // A file the scan or the index holds sits in folders the rules let through, so its name decides (one regex while the folder has no rules of its own).
    ignored: (q) => (s.local.has(q) || s.index!.has(q) ? s.rules.ignoresFile(q, baseName(q)) : s.rules.ignores(q)),
    notSynced: (q) => s.issues.reasonFor(q),
    transferring: (q) => s.activity.direction(q),
    changedHere: (q) => s.dirtyLocal.has(q),
    hasLocal: (q) => s.local.has(q),
    hasRemote: (q) => s.remoteTree.has(q),
    hasSynced: (q) => s.index!.has(q),
    inSync: (q) => s.local.inSync(q, s.remoteTree, s.index!.tree),
    localDiffers: (q) => s.local.get(q)?.contentHash !== s.index!.get(q)?.contentHash,
  };
}

/** The conflicted copies in the folder (a walk of the local tree: ask after a pass, not per file). */
export function conflictedCopies(s: EngineState): string[] {
  const copies: string[] = [];
  for (const p of s.local.keys()) if (isConflictedCopy(p)) copies.push(p);
  return copies.sort();
}
