/** FlashAttention-2 in tfjs: native flash-attn interfaces, the contract adapter and the transformers path. */
export { flashAttnFunc, flashAttnFuncWithLse, flashAttention, flashAttentionWithLse, DEFAULT_BR, DEFAULT_BC, type FlashAttnOptions, type FlashCall } from './flash.js';
export { flashAttnVarlenFunc, type FlashAttnVarlenOptions } from './varlen.js';
export { flashKernel, flashKernelWith, type FlashBlockSizes } from './adapter.js';
export { flashAttentionFunction } from './transformers.js';
export { flashDecodeKernel } from './kvcache.js';
