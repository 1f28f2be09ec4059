/**
 * Deliberately broken attention kernels for the training properties' own tests (each property
 * must be shown to fail on the bug it targets). Both go through the user-kernel dispatch path.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/backend/index.js';
import { defineAttentionKernel, type KernelOptions } from '../../src/kernel/index.js';
import { scaledDotProductAttention } from '../../kernels/sdpa/index.js';

/** adapter-hub/adapters#721: with no mask, is_causal is never set. */
export const forgetsIsCausal = defineAttentionKernel({
  name: 'forgets-is-causal',
  forward: (q: Tensor4D, k: Tensor4D, v: Tensor4D, opts: KernelOptions, tf: TF): Tensor =>
    tf.tidy(() => scaledDotProductAttention(q, k, v, { attnMask: opts.mask, isCausal: false, scale: opts.scale, enableGqa: q.shape[1] !== k.shape[1] })),
});

/** Honours causality but drops the mask: padding and other documents leak in (transformers#29075's family). */
export const ignoresMask = defineAttentionKernel({
  name: 'ignores-mask',
  forward: (q: Tensor4D, k: Tensor4D, v: Tensor4D, opts: KernelOptions, tf: TF): Tensor =>
    tf.tidy(() => scaledDotProductAttention(q, k, v, { attnMask: null, isCausal: q.shape[2] > 1, scale: opts.scale, enableGqa: q.shape[1] !== k.shape[1] })),
});
