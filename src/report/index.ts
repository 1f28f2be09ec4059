export * from './heatmap.js';
export * from './tensors.js';
export * from './repro.js';
