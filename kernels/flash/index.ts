/** FlashAttention-2 in tfjs: native flash-attn interfaces, the contract adapter and the transformers path. */

export { type FlashBlockSizes, flashKernel, flashKernelWith } from './adapter.js';
export {
  DEFAULT_BC,
  DEFAULT_BR,
  type FlashAttnOptions,
  flashAttention,
  flashAttentionWithLse,
  flashAttnFunc,
  flashAttnFuncWithLse,
} from './flash.js';
export { flashDecodeKernel } from './kvcache.js';
export type { FlashCall, Layout } from './layout.js';
export { flashAttentionFunction } from './transformers.js';
export { type FlashAttnVarlenOptions, flashAttnVarlenFunc } from './varlen.js';
