// The website package: its Koa app factory and the dispatcher that puts website, router and WebDAV on one address.
export { createApp } from './app';
export type { WebDeps } from './app';
export { createDispatcher, DAV_PREFIX } from './dispatch';
export type { Handlers } from './dispatch';
