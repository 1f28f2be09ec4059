/**
 * The eager path of a transformers model (ALL_ATTENTION_FUNCTIONS['eager']): the model always builds
 * one 4D additive mask [B, 1, S, S] from causality AND padding AND packed documents (0 = attend,
 * finfo.min = masked, as masking_utils.create_causal_mask does) and `eagerAttentionForward` adds it
 * to the scores. Because the mask is always explicit, eager never depends on is_causal: this is why
 * it was unaffected by adapter-hub/adapters#721.
 */

import type { Tensor4D } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { type AttentionFunction, allowedMask } from '../../src/contract/index.js';
import { eagerAttentionForward, MASK_MIN } from './eager.js';

export const eagerAttentionFunction: AttentionFunction = (_tf, q, k, v, call) => {
  const additive = Float32Array.from(allowedMask(call.masks), (a) => (a ? 0 : MASK_MIN));
  const mask = tf.tensor4d(additive, [call.masks.B, 1, call.masks.S, call.masks.S]) as Tensor4D;
  return eagerAttentionForward(q, k, v, mask, {
    scaling: call.scaling,
    numKeyValueGroups: q.shape[1] / k.shape[1],
    dropout: call.dropout?.p ?? 0,
    dropoutSeed: call.dropout?.seed ?? 0,
    precision: call.precision,
  })[0];
};
