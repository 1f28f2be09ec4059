/**
 * Scaled dot-product attention with PyTorch's `torch.nn.functional.scaled_dot_product_attention`
 * semantics (the math backend's documented reference implementation, with the safe softmax of
 * PyTorch >= 2.5):
 *
 *   L, S = query.size(-2), key.size(-2)
 *   scale_factor = 1 / sqrt(query.size(-1)) if scale is None else scale
 *   attn_bias = 0 [L, S];  is_causal: -inf above the top-left diagonal;  attn_mask: bool -> -inf
 *               where false, float -> added
 *   enable_gqa: key, value = repeat_interleave(Hq / Hkv, dim=-3)
 *   attn_weight = softmax(query · keyᵀ · scale_factor + attn_bias)     (safe: an all -inf row -> 0)
 *   attn_weight = dropout(attn_weight, dropout_p)
 *   return attn_weight · value
 *
 * Shapes: query [B, Hq, L, D], key [B, Hkv, S, D], value [B, Hkv, S, Dv] -> [B, Hq, L, Dv];
 * Hkv = Hq unless enableGqa. attn_mask broadcasts to [B, Hq, L, S] ([L, S], [1, 1, L, S], ...).
 *
 * is_causal is TOP-LEFT (key j visible to query i iff j <= i), whatever L and S are:
 *
 *   L = 2, S = 4               L = 1, S = 4 (a decode step): only key 0
 *        k0 k1 k2 k3                k0 k1 k2 k3
 *   q0   x  .  .  .            q0   x  .  .  .
 *   q1   x  x  .  .
 *
 * Masking is done with finite values (where(allowed, S, MASK_MIN)), never -inf, and a row with no
 * allowed key is zeroed after the softmax: no NaN reaches a value or a gradient. A float mask's
 * -inf entries count as "not allowed".
 *
 * Rounding (emulated bfloat16/float16, `precision`): query, key and value at entry (their gradients
 * too), attn_weight right before · value, and the output; everything accumulates in float32.
 *
 * Deviation: dropout is deterministic, element (b, h, i, j) kept where `dropoutMask` says so (the
 * harness's keep mask), else iff `dropoutKeep(dropoutSeed, b, h, i, j, p)` (src/contract/dropout.ts),
 * instead of torch's Philox stream.
 *
 * As PyTorch's math backend, attn_weight · value runs over every key, masked ones too (weight 0):
 * NaN in a masked value reaches the output (0·NaN), so padding must be finite.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
// tfjs-core is the harness's own copy (one engine, gradients registered by src/backend).
import * as tf from '@tensorflow/tfjs-core';
import { dropoutScaleBlock, type Precision } from '../../src/contract/index.js';
import { matMul } from '../common/matMul.js';
import { roundTensor } from '../common/round.js';

/** The finite stand-in for -inf at masked scores (torch.finfo(torch.float32).min). */
const MASK_MIN = -3.4028234663852886e38;

export interface SdpaOptions {
  /** Boolean (true = may attend) or additive float mask, broadcastable to [B, Hq, L, S]. */
  readonly attnMask?: Tensor | null;
  /** Top-left causal mask; must not be combined with attnMask (PyTorch raises). */
  readonly isCausal?: boolean;
  /** Default 1 / sqrt(D). */
  readonly scale?: number | null;
  readonly dropoutP?: number;
  /** Seed of the counter-based dropout hash. */
  readonly dropoutSeed?: number;
  /** The keep mask [B, Hq, L, S] (true = kept) as the harness hands it over; absent: the hash of `dropoutSeed`. */
  readonly dropoutMask?: Tensor | null;
  /** Allow Hkv < Hq: key/value heads are repeat_interleave'd to Hq. */
  readonly enableGqa?: boolean;
  /** Emulated dtype of query/key/value; default float32. */
  readonly precision?: Precision;
}

/**
 * key.repeat_interleave(nRep, dim=-3) on [B, Hkv, S, D], as a rank-4 expand (tfjs: Tile's gradient stops at rank 4).
 */
function repeatInterleaveHeads(x: Tensor4D, nRep: number): Tensor4D {
  if (nRep === 1) return x;
  const [B, H, S, D] = x.shape;
  const expanded = tf.broadcastTo(tf.reshape(x, [B, H, 1, S * D]), [B, H, nRep, S * D]);
  return tf.reshape(expanded, [B, H * nRep, S, D]);
}

/** The top-left causal pattern [L, S]: true iff j <= i (torch.ones(L, S).tril(diagonal=0)). */
function tril(L: number, S: number): Tensor {
  const data = new Uint8Array(L * S);
  for (let i = 0; i < L; i++) for (let j = 0; j <= Math.min(i, S - 1); j++) data[i * S + j] = 1;
  return tf.tensor2d(data, [L, S], 'bool');
}

export function scaledDotProductAttention(
  query: Tensor4D,
  key: Tensor4D,
  value: Tensor4D,
  options: SdpaOptions = {},
): Tensor4D {
  const {
    attnMask = null,
    isCausal = false,
    scale = null,
    dropoutP = 0,
    dropoutSeed = 0,
    dropoutMask = null,
    enableGqa = false,
    precision = 'float32',
  } = options;
  const [B, Hq, L, D] = query.shape;
  const [, Hkv, S] = key.shape;
  if (isCausal && attnMask !== null) {
    throw new Error(
      'sdpa: attnMask and isCausal: an explicit attnMask must not be set when isCausal is true (PyTorch raises too)',
    );
  }
  if (Hq !== Hkv && !(enableGqa && Hq % Hkv === 0)) {
    throw new Error(
      `sdpa: key.shape: query heads ${Hq} and key heads ${Hkv} differ; expected equal heads, or enableGqa ` +
        `with Hq a multiple of Hkv`,
    );
  }
  const scaleFactor = scale ?? 1 / Math.sqrt(D);

  query = roundTensor(tf, query, precision);
  key = roundTensor(tf, key, precision);
  value = roundTensor(tf, value, precision);

  // attn_bias as two parts: `allowed` (is_causal, boolean masks, -inf in float masks) and a finite
  // additive `bias` (float masks), so no -inf ever enters the softmax.
  let allowed: Tensor | null = isCausal ? tril(L, S) : null;
  let bias: Tensor | null = null;
  if (attnMask !== null) {
    if (attnMask.dtype === 'bool') {
      allowed = attnMask;
    } else {
      // Read from a copy off the tape: the float mask may be differentiated (a bias), and Greater
      // has no gradient in tfjs (PyTorch's own "only the float mask needs a gradient" crash,
      // pytorch/pytorch PR 188302, is this path).
      allowed = tf.greater(tf.tensor(attnMask.dataSync(), attnMask.shape), -Infinity);
      bias = tf.where(allowed, attnMask, tf.zerosLike(attnMask));
    }
  }

  if (enableGqa) {
    key = repeatInterleaveHeads(key, Hq / Hkv);
    value = repeatInterleaveHeads(value, Hq / Hkv);
  }

  let attnWeight: Tensor = tf.mul(matMul(tf, query, key, false, true), scaleFactor);
  if (bias !== null) attnWeight = tf.add(attnWeight, bias);
  if (allowed !== null) attnWeight = tf.where(allowed, attnWeight, tf.scalar(MASK_MIN));

  attnWeight = tf.softmax(attnWeight, -1);
  if (allowed !== null) {
    // Safe softmax: a row with no allowed key gets weights 0 (PyTorch >= 2.5), not uniform weights.
    const rowAllowed = tf.cast(tf.any(allowed, -1, true), 'float32');
    attnWeight = tf.mul(attnWeight, rowAllowed);
  }
  if (dropoutP > 0) {
    const dropScale =
      dropoutMask !== null
        ? tf.div(tf.cast(dropoutMask, 'float32'), 1 - dropoutP)
        : tf.tensor4d(dropoutScaleBlock(dropoutSeed, dropoutP, [B, Hq, L, S]), [B, Hq, L, S]);
    attnWeight = tf.mul(attnWeight, dropScale);
  }
  attnWeight = roundTensor(tf, attnWeight, precision);

  return roundTensor(tf, matMul(tf, attnWeight, value), precision) as Tensor4D;
}
