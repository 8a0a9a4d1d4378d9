// The shared package: protocol types, path rules, hashing and errors, no IO.
export * from './errors';
export * from './errorPolicy';
export * from './paths';
export * from './blocks';
export * from './protocol';
export * from './format';
