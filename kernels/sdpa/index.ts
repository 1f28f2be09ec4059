export { onlyTopLeftCausal, sdpaKernel } from './adapter.js';
export { type SdpaOptions, scaledDotProductAttention } from './sdpa.js';
export { sdpaAttentionFunction } from './transformers.js';
