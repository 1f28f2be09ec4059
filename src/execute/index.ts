export * from './browser/index.js';
export * from './tfjs.js';
