export * from './verdict.js';
export * from './tolerance.js';
export * from './judge.js';
export * from './attention.js';
export * from './scoreOptions.js';
export * from './lora.js';
export * from './format.js';
