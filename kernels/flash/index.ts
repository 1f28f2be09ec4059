/** FlashAttention-2 in tfjs: native flash-attn interfaces and the contract adapter. */
export { flashAttnFunc, flashAttnFuncWithLse, flashAttention, DEFAULT_BR, DEFAULT_BC, type FlashAttnOptions, type FlashCall } from './flash.js';
export { flashAttnVarlenFunc, type FlashAttnVarlenOptions } from './varlen.js';
export { flashKernel, flashKernelWith, type FlashBlockSizes } from './adapter.js';
