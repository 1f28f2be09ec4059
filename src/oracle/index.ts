export * from './attention.js';
export * from './formatVerdict.js';
export * from './judge.js';
export * from './lora.js';
export * from './scoreOptions.js';
export * from './tolerance.js';
export * from './verdict.js';
