export * from './verdict.js';
export * from './tolerance.js';
export * from './judge.js';
export * from './format.js';
