export * from './format.js';
export * from './save.js';
export * from './replay.js';
export * from './training.js';
export * from './trainingReplay.js';
