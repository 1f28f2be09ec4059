export * from './types.js';
export * from './lora.js';
export * from './visibility.js';
export * from './dropout.js';
export * from './precision.js';
export * from './tensor.js';
export * from './shapes.js';
export * from './compare.js';
