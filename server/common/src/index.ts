// What the three servers share: db factory, logger, error middleware, tokens, config, listening.
export * from './db';
export * from './logger';
export * from './errorMiddleware';
export * from './tokens';
export * from './bearer';
export * from './http';
export * from './config';
export * from './processLifecycle';
export * from './userContent';
export * from './privateFiles';
