export * from './layout.js';
export * from './run.js';
export * from './kernels.js';
export * from './loadKernel.js';
export * from './differential.js';
export * from './crossBackend.js';
export * from './search.js';
export * from './simplify.js';
