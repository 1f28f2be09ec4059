/**
 * The flash entry points the dispatch calls: flash_attn_func (BSHD, bottom-right causal) and
 * flash_attn_varlen_func over unpadded tokens [total, H, Dh] with cumulative sequence lengths.
 */
import type { Tensor, Tensor3D } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/backend/index.js';
import { flashAttnFunc, flashAttnVarlenFunc, type FlashAttnOptions } from '../flash/index.js';
import type { Varlen } from './masks.js';

export { flashAttnFunc };

/** flash_attn_varlen_func(q, k, v, cu_seqlens, cu_seqlens, max_seqlen, max_seqlen, ...): self-attention, same lengths for q and k. */
export function flashVarlen(tf: TF, q: Tensor, k: Tensor, v: Tensor, vl: Varlen, options: FlashAttnOptions): Tensor3D {
  const cu = Array.from(vl.cuSeqlens);
  return flashAttnVarlenFunc(q as Tensor3D, k as Tensor3D, v as Tensor3D, { ...options, cuSeqlensQ: cu, cuSeqlensK: cu, maxSeqlenQ: vl.maxSeqlen, maxSeqlenK: vl.maxSeqlen }, tf);
}
