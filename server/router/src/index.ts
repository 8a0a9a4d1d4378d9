// The router package: its service layer (used in-process by the website), its Koa app and its start-up.
export * from './services';
export { createApp } from './app';
export type { RouterAppDeps } from './app';
export { loadRouterConfig, parseDataServers, publicKeyFileFor, routerEnvShape } from './config';
export type { RouterConfig, DataServerSetting } from './config';
export { startRouterServices, loadOrCreateSigningKeys } from './startup';
export type { StartedRouterServices } from './startup';
export { clientAddress } from './requestInput';
export { createDavHandler, DAV_METHODS } from './dav/app';
export type { DavDeps } from './dav/app';
export { LockManager } from './dav/locks';
export { DEFAULT_DAV_LIMITS } from './dav/limits';
export type { DavLimits } from './dav/limits';
