/**
 * The options' visibility as one boolean tensor, built on the host the way transformers builds its
 * 4D masks: causal alignment, sliding window and key padding from `structurallyVisible` (one
 * [B, 1, Sq, Sk] pattern), ANDed with the contract's boolean mask [B|1, Hq|1, Sq, Sk]. Shared by
 * the eager adapter (turned into an additive mask) and the sdpa adapter (passed as a boolean
 * attn_mask). Call inside tf.tidy: the pattern tensor is not disposed here.
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
// tfjs-core is the harness's own copy (one engine, gradients registered by src/backend).
import * as tf from '@tensorflow/tfjs-core';
import { type AttentionShapes, type KernelOptions, structurallyVisible } from '../../src/contract/index.js';

/** True iff causal, window or keyLengths restrict any key (window [-1, -1] does not). */
export function hasStructuralRestriction(
  opts: Pick<KernelOptions, 'causal' | 'window' | 'keyLengths'>,
  Sk: number,
): boolean {
  const windowed = opts.window !== null && (opts.window[0] >= 0 || opts.window[1] >= 0);
  const padded = opts.keyLengths?.some((len) => len < Sk) ?? false;
  return opts.causal !== 'none' || windowed || padded;
}

/**
 * The boolean visibility [B, 1|Hq, Sq, Sk] of the options (causal, window, keyLengths on the host,
 * AND the boolean mask), or null when nothing restricts any key.
 */
export function visibilityMask(opts: KernelOptions, shapes: AttentionShapes): Tensor4D | null {
  const { B, Sq, Sk } = shapes;
  const structural = hasStructuralRestriction(opts, Sk);
  if (!structural) return opts.mask;
  const data = new Uint8Array(B * Sq * Sk);
  let n = 0;
  for (let b = 0; b < B; b++)
    for (let i = 0; i < Sq; i++)
      for (let j = 0; j < Sk; j++) data[n++] = structurallyVisible(opts, { Sq, Sk }, b, i, j) ? 1 : 0;
  const pattern = tf.tensor4d(data, [B, 1, Sq, Sk], 'bool');
  if (opts.mask === null) return pattern;
  return tf.logicalAnd(pattern, opts.mask) as Tensor4D;
}

/**
 * key and value with every key that no query of its (batch row, kv-head group) can see set to 0.
 * transformers and PyTorch read such keys (weight 0 times the value), so a NaN there (junk in
 * padding) would reach the output as 0·NaN. The built-in eager and sdpa stay faithful and do not
 * call this; a kernel that wants to promise `guarantees.unseenKeysUnread` can. Their gradients are
 * 0, as in the reference. `visible` is [B|1, 1|Hq, Sq, Sk].
 */
export function zeroUnseenKeys(key: Tensor4D, value: Tensor4D, visible: Tensor4D | null): [Tensor4D, Tensor4D] {
  if (visible === null) return [key, value];
  const Hkv = key.shape[1];
  const [vB, vH, , Sk] = visible.shape;
  let seen = tf.any(visible, 2); // [B|1, 1|Hq, Sk]
  if (vH !== 1) seen = tf.any(tf.reshape(seen, [vB, Hkv, vH / Hkv, Sk]), 2); // query heads -> their kv head
  const keep = tf.expandDims(seen, -1); // [B|1, 1|Hkv, Sk, 1]
  return [tf.where(keep, key, tf.zerosLike(key)) as Tensor4D, tf.where(keep, value, tf.zerosLike(value)) as Tensor4D];
}
