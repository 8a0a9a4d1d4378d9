// The sync engine's public surface, for the VS Code glue and the daemon.
export { SyncEngine } from './engine';
export type { SyncStatus, SyncEvents, EngineOptions } from './engine';
export { signIn, signOut, deviceTokenSession, discover } from './session';
export type { Session } from './session';
