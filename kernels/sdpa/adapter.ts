/**
 * The sdpa kernel behind the attnfuzz contract, calling `scaledDotProductAttention` the way
 * transformers' `sdpa_attention_forward` does:
 *
 * - the only restriction is causal 'top-left' (an unpadded causal batch): no mask, isCausal = true;
 * - nothing restricts any key: no mask, isCausal = false;
 * - anything else (bottom-right causal, windows, key padding, boolean masks): one explicit boolean
 *   attn_mask [B, 1|Hq, Sq, Sk] built on the host by `visibilityMask` (the same as eager's).
 *
 * Faithful to PyTorch's math path, keys no query may see are still read (weight 0): NaN there
 * would reach the output as 0·NaN, so the kernel promises nothing about unseen keys and attnfuzz
 * writes only finite junk for it. Dropout uses the harness's keep mask (`opts.dropout.keep`).
 *
 * GQA goes through enableGqa (repeat_interleave inside sdpa) rather than repeat_kv beforehand.
 *
 * Score options: SDPA has a float attn_mask, so ALiBi and the float bias go in as one
 * (attn_mask = where(visible, alibi + bias, -inf), alibi = -slope·|i + Sk - Sq - j|), the bias
 * differentiated through it. It has no softcap and no sinks: the kernel does not declare them.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
// tfjs-core is the harness's own copy (one engine, gradients registered by src/backend).
import * as tf from '@tensorflow/tfjs-core';
import {
  type AttentionKernel,
  attentionShapes,
  defineAttentionKernel,
  type KernelOptions,
} from '../../src/contract/index.js';
import { additiveTerms, hasStructuralRestriction, visibilityMask } from '../eager/index.js';
import { scaledDotProductAttention } from './sdpa.js';

/** True iff the options restrict keys only by top-left causality (then isCausal replaces the mask). */
export function onlyTopLeftCausal(
  opts: Pick<KernelOptions, 'causal' | 'window' | 'keyLengths' | 'mask'>,
  Sk: number,
): boolean {
  return opts.causal === 'top-left' && opts.mask === null && !hasStructuralRestriction({ ...opts, causal: 'none' }, Sk);
}

export const sdpaKernel: AttentionKernel = defineAttentionKernel({
  name: 'sdpa',
  features: { alibi: true, bias: true },
  forward(q: Tensor4D, k: Tensor4D, v: Tensor4D, opts: KernelOptions): Tensor {
    const shapes = attentionShapes(q.shape, k.shape, v.shape, undefined, 'sdpa');
    const { Hq, Hkv, Sq, Sk } = shapes;
    return tf.tidy(() => {
      const additive = additiveTerms(opts, shapes.B, Hq, Sq, Sk);
      const isCausal = additive === null && onlyTopLeftCausal(opts, Sk);
      const visible = isCausal ? null : visibilityMask(opts, shapes);
      const attnMask =
        additive === null ? visible : visible === null ? additive : tf.where(visible, additive, tf.scalar(-Infinity));
      return scaledDotProductAttention(q, k, v, {
        attnMask,
        isCausal,
        scale: opts.scale,
        dropoutP: opts.dropout?.p ?? 0,
        dropoutSeed: opts.dropout?.seed ?? 0,
        dropoutMask: opts.dropout?.keep ?? null,
        enableGqa: Hq !== Hkv,
        precision: opts.precision,
      });
    });
  },
});
