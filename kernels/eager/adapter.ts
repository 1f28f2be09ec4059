/**
 * The eager kernel behind the attnfuzz contract: builds the additive mask from the options on the
 * host as transformers does (causal, sliding window and padding folded into one 4D mask with
 * finfo.min at masked positions), ANDs in the contract's boolean mask, and calls
 * `eagerAttentionForward`. The output is transposed back from transformers' [B, Sq, Hq, Dv] to the
 * contract's [B, Hq, Sq, Dv].
 *
 *   structural [B, 1, Sq, Sk]  (causal · window · keyLengths, from `structurallyVisible`)
 *        AND  opts.mask [B|1, Hq|1, Sq, Sk]
 *        ->   visible [B, 1|Hq, Sq, Sk]  ->  attention_mask = where(visible, 0, MASK_MIN)
 *
 * With no restriction at all the mask is null, as transformers passes for an unpadded
 * non-causal batch. Faithful to transformers, P·V reads every key, those no query may see too
 * (weight 0): junk in padding must be finite, and NaN there reaches the output as 0·NaN. So the
 * kernel promises nothing about unseen keys, and attnfuzz writes only finite junk for it.
 * Dropout uses the keep mask the harness hands over (`opts.dropout.keep`).
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
// tfjs-core is the harness's own copy (one engine, gradients registered by src/backend).
import * as tf from '@tensorflow/tfjs-core';
import { attentionShapes, defineAttentionKernel, type AttentionKernel, type KernelOptions } from '../../src/contract/index.js';
import { eagerAttentionForward, MASK_MIN } from './eager.js';
import { visibilityMask } from './visibilityMask.js';

export const eagerKernel: AttentionKernel = defineAttentionKernel({
  name: 'eager',
  forward(q: Tensor4D, k: Tensor4D, v: Tensor4D, opts: KernelOptions): Tensor {
    const shapes = attentionShapes(q.shape, k.shape, v.shape, undefined, 'eager');
    const { Hq, Hkv } = shapes;
    return tf.tidy(() => {
      const visible = visibilityMask(opts, shapes);
      const attentionMask = visible === null ? null : (tf.where(visible, tf.scalar(0), tf.scalar(MASK_MIN)) as Tensor as Tensor4D);
      const [attnOutput] = eagerAttentionForward(q, k, v, attentionMask, {
        scaling: opts.scale,
        dropout: opts.dropout?.p ?? 0,
        dropoutSeed: opts.dropout?.seed ?? 0,
        dropoutMask: opts.dropout?.keep ?? null,
        numKeyValueGroups: Hq / Hkv,
        precision: opts.precision,
      });
      return tf.transpose(attnOutput, [0, 2, 1, 3]);
    });
  },
});
