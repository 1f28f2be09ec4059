/**
 * The sdpa path of a transformers model (integrations/sdpa_attention.py, sdpa_attention_forward):
 *
 *   no padding and not packed:  attn_mask = None, is_causal = query.shape[2] > 1 and module.is_causal
 *                               <- the line adapter-hub/adapters#721's copy dropped
 *   otherwise:                  a 4D boolean attn_mask [B, 1, S, S], is_causal = False
 *
 * GQA goes through enable_gqa. The output is transposed to [B, S, Hq, Dh] as transformers returns it.
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { type AttentionFunction, allowedMask, onlyCausal } from '../../src/contract/index.js';
import { scaledDotProductAttention } from './sdpa.js';

export const sdpaAttentionFunction: AttentionFunction = (tf, q, k, v, call) => {
  const plain = onlyCausal(call.masks);
  const { B, S } = call.masks;
  const out = scaledDotProductAttention(q, k, v, {
    attnMask: plain ? null : (tf.tensor4d(allowedMask(call.masks), [B, 1, S, S], 'bool') as Tensor4D),
    isCausal: plain && call.isCausal && q.shape[2] > 1,
    scale: call.scaling,
    enableGqa: q.shape[1] !== k.shape[1],
    dropoutP: call.dropout?.p ?? 0,
    dropoutSeed: call.dropout?.seed ?? 0,
    precision: call.precision,
  });
  return tf.transpose(out, [0, 2, 1, 3]) as Tensor4D;
};
