/**
 * The flash entry points the dispatch calls: flash_attn_func (BSHD, bottom-right causal) and a
 * varlen call over unpadded tokens [total, H, Dh] with cumulative sequence lengths.
 */
import type { Tensor, Tensor3D } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/backend/index.js';
import { flashAttnFunc, type FlashAttnOptions } from '../flash/flash.js';
import type { Varlen } from './masks.js';

export { flashAttnFunc };

/** flash_attn_varlen_func(q, k, v, cu_seqlens, cu_seqlens, max_seqlen, max_seqlen, causal, softmax_scale). */
export function flashVarlen(tf: TF, q: Tensor, k: Tensor, v: Tensor, vl: Varlen, options: FlashAttnOptions): Tensor3D {
  const parts: Tensor[] = [];
  for (let s = 0; s + 1 < vl.cuSeqlens.length; s++) {
    const start = vl.cuSeqlens[s]!;
    const len = vl.cuSeqlens[s + 1]! - start;
    const seq = (x: Tensor) => tf.expandDims(tf.slice(x, [start, 0, 0], [len, x.shape[1]!, x.shape[2]!]), 0) as import('@tensorflow/tfjs-core').Tensor4D;
    parts.push(tf.squeeze(flashAttnFunc(seq(q), seq(k), seq(v), options, tf), [0]));
  }
  return tf.concat(parts, 0) as Tensor3D;
}
