export * from './tfjs.js';
export * from './worker/index.js';
