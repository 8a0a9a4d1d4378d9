// The router package: its service layer (used in-process by the website), its Koa app and its start-up.
export * from './services';
