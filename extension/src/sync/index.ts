// The sync engine's public surface, for the VS Code glue and the daemon.
export { SyncEngine } from './engine';
export type { SyncStatus, SyncEvents, EngineOptions } from './engine';
export { signIn, signOut, deviceTokenSession, discover } from './session';
export type { Session } from './session';
export { RemoteClient } from './remote';
export { TransferCancelledError } from './activity';
export type { ActivityEvent, ChangeKind, TransferDirection, TransferProgress } from './activity';
export type { PathState, PathStateKind } from './pathStates';
export { isConflictedCopy, originalOfConflictedCopy } from './conflict';
export { IGNORE_FILE } from './ignore';
export { stateDirFor, stateKey, resetState, type StateOwner } from './stateDir';
export { FOLDER_MARKER, type FolderProblem } from './folderMarker';
export { displayPath, type NotSyncedItem, type NotSyncedReason } from './notSynced';
