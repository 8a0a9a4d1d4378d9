// The data server package: the app factory, the in-process starter and the service layer.
export { createApp } from './app';
export type { DataAppDeps } from './app';
export { startDataServer } from './start';
export type { StartDataServerOptions, RunningDataServer } from './start';
export { createDataServices } from './services';
export type { DataServices } from './services';
export type { CopyInput, MoveResult, CommitInput } from './services/fileWrites';
