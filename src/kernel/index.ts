export * from './types.js';
export * from './run.js';
