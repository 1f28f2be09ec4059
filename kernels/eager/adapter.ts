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
 *
 * Score options, as the transformers models that have them: softcap as Gemma 2's
 * attn_logit_softcapping, sinks as gpt-oss's extra softmax column, and ALiBi and the float bias in
 * the additive mask (as Bloom and Falcon add their alibi tensor, and as a float attention_mask is
 * added): attention_mask = where(visible, alibi + bias, MASK_MIN), alibi = -slope·|i + Sk - Sq - j|.
 */
import type { Tensor as AnyTensor, Tensor, Tensor4D } from '@tensorflow/tfjs-core';
// tfjs-core is the harness's own copy (one engine, gradients registered by src/backend).
import * as tf from '@tensorflow/tfjs-core';
import {
  type AttentionKernel,
  attentionShapes,
  defineAttentionKernel,
  type KernelOptions,
} from '../../src/contract/index.js';
import { eagerAttentionForward, MASK_MIN } from './eager.js';
import { visibilityMask } from './visibilityMask.js';

export const eagerKernel: AttentionKernel = defineAttentionKernel({
  name: 'eager',
  features: { softcap: true, alibi: true, bias: true, sinks: true },
  forward(q: Tensor4D, k: Tensor4D, v: Tensor4D, opts: KernelOptions): Tensor {
    const shapes = attentionShapes(q.shape, k.shape, v.shape, undefined, 'eager');
    const { Hq, Hkv } = shapes;
    return tf.tidy(() => {
      const visible = visibilityMask(opts, shapes);
      const additive = additiveTerms(opts, shapes.B, Hq, shapes.Sq, shapes.Sk);
      const attentionMask =
        visible === null
          ? (additive as Tensor4D | null)
          : (tf.where(visible, additive ?? tf.scalar(0), tf.scalar(MASK_MIN)) as Tensor as Tensor4D);
      const [attnOutput] = eagerAttentionForward(q, k, v, attentionMask, {
        scaling: opts.scale,
        dropout: opts.dropout?.p ?? 0,
        dropoutSeed: opts.dropout?.seed ?? 0,
        dropoutMask: opts.dropout?.keep ?? null,
        numKeyValueGroups: Hq / Hkv,
        precision: opts.precision,
        softcap: opts.softcap ?? null,
        sinks: opts.sinks ?? null,
      });
      return tf.transpose(attnOutput, [0, 2, 1, 3]);
    });
  },
});

/** ALiBi (-slope·|i + Sk - Sq - j|, [B|1, Hq, Sq, Sk]) plus the float bias, or null without either. */
export function additiveTerms(opts: KernelOptions, B: number, Hq: number, Sq: number, Sk: number): AnyTensor | null {
  let terms: AnyTensor | null = null;
  if (opts.alibiSlopes != null) {
    const dist = new Float32Array(Sq * Sk);
    for (let i = 0; i < Sq; i++) for (let j = 0; j < Sk; j++) dist[i * Sk + j] = Math.abs(i + Sk - Sq - j);
    const slopes = tf.reshape(opts.alibiSlopes, [opts.alibiSlopes.rank === 1 ? 1 : B, Hq, 1, 1]);
    terms = tf.neg(tf.mul(slopes, tf.tensor4d(dist, [1, 1, Sq, Sk])));
  }
  if (opts.bias != null) terms = terms === null ? opts.bias : tf.add(terms, opts.bias);
  return terms;
}
