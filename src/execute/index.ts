export * from './browser/index.js';
export * from './host.js';
export * from './tfjs.js';
export * from './tfjsAsync.js';
export * from './worker/index.js';
