export * from './format.js';
export * from './save.js';
export * from './replay.js';
