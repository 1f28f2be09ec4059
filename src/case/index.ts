export * from './types.js';
export * from './schema.js';
export * from './arbitrary.js';
export * from './upstream.js';
