// The sync state of one path, read from the engine's trees in constant time (the editor asks for each file it shows; 100,000 files must cost nothing).
//
// Pure: the engine passes a view of what it knows; nothing here reads the disk or the network.
import { isConflictedCopy } from './conflict';
import type { TransferDirection } from './activity';

export type PathStateKind =
  | 'synced' // here and on the server, the same
  | 'uploading' // its bytes are going to the server now
  | 'pendingUpload' // changed here, not sent yet
  | 'downloading' // the server's version is coming now
  | 'pendingDownload' // changed on the server, not fetched yet
  | 'conflicted' // a conflicted copy: the person decides which version stays
  | 'notSynced' // left out, with the reason
  | 'ignored'; // .mydropboxignore or a default rule

export interface PathState {
  kind: PathStateKind;
  /** Why a path is not synced (notSynced only). */
  reason?: string;
}

/** What the engine knows about a path, each answer from a map or a set. */
export interface PathStateView {
  ignored(p: string): boolean;
  notSynced(p: string): string | undefined;
  transferring(p: string): TransferDirection | undefined;
  /** The watcher saw it change and it was not looked at yet. */
  changedHere(p: string): boolean;
  hasLocal(p: string): boolean;
  hasRemote(p: string): boolean;
  hasSynced(p: string): boolean;
  /** Local, remote and synced all agree (the planner's "nothing to do"). */
  inSync(p: string): boolean;
  /** The local file differs from what was last synced (content, or new here). */
  localDiffers(p: string): boolean;
}

/** undefined: a path the engine does not know (a folder, a file it has not seen yet). */
export function pathState(view: PathStateView, p: string): PathState | undefined {
  if (view.ignored(p)) return { kind: 'ignored' };
  const reason = view.notSynced(p);
  if (reason !== undefined) return { kind: 'notSynced', reason };
  const moving = view.transferring(p);
  if (moving) return { kind: moving === 'upload' ? 'uploading' : 'downloading' };
  const known = view.hasLocal(p) || view.hasSynced(p) || view.hasRemote(p);
  if (!known) return view.changedHere(p) ? { kind: 'pendingUpload' } : undefined;
  // A conflicted copy is a file like any other to the engine; to the person it is a decision to make.
  if (isConflictedCopy(p)) return { kind: 'conflicted' };
  if (view.changedHere(p)) return { kind: 'pendingUpload' };
  if (view.inSync(p)) return { kind: 'synced' };
  if (view.hasLocal(p) && view.localDiffers(p)) return { kind: 'pendingUpload' };
  return { kind: 'pendingDownload' };
}
