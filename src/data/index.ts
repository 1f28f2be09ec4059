export * from './attention.js';
export * from './decode.js';
export * from './lora.js';
export * from './streams.js';
