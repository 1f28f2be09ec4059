export * from './format.js';
export * from './migrate.js';
export * from './load.js';
export * from './save.js';
export * from './replay.js';
