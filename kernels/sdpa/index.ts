export { scaledDotProductAttention, type SdpaOptions } from './sdpa.js';
export { sdpaKernel, onlyTopLeftCausal } from './adapter.js';
export { sdpaAttentionFunction } from './transformers.js';
