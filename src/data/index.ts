export * from './streams.js';
export * from './attention.js';
export * from './lora.js';
export * from './decode.js';
