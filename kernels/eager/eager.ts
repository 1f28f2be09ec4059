/**
 * Eager attention: transformers' `eager_attention_forward` (models/llama/modeling_llama.py), the
 * plain "materialise every score" path of Vaswani et al. 2017, eq. 1:
 *
 *   key_states   = repeat_kv(key,   num_key_value_groups)          [B, Hq, Sk, D ]
 *   value_states = repeat_kv(value, num_key_value_groups)          [B, Hq, Sk, Dv]
 *   attn_weights = query · key_statesᵀ · scaling                   [B, Hq, Sq, Sk]
 *   attn_weights = tanh(attn_weights / softcap) · softcap          (Gemma 2, when softcap is set)
 *   attn_weights = attn_weights + attention_mask
 *   attn_weights = softmax(attn_weights, dim=-1, dtype=float32)
 *     with sinks (gpt-oss): softmax(cat([attn_weights, sinks[h]], -1))[..., :-1]
 *   attn_weights = dropout(attn_weights, p=dropout)
 *   attn_output  = (attn_weights · value_states).transpose(1, 2)   [B, Sq, Hq, Dv]
 *
 * Inputs: query [B, Hq, Sq, D], key [B, Hkv, Sk, D], value [B, Hkv, Sk, Dv] with
 * Hq = Hkv · num_key_value_groups; attention_mask additive float [B|1, 1|Hq, Sq, >=Sk] (0 = attend,
 * a large negative = masked) or null. Output [B, Sq, Hq, Dv] as transformers returns it, plus the
 * weights [B, Hq, Sq, Sk].
 *
 * Mask convention: transformers builds the additive mask on the host with finfo(dtype).min at
 * masked positions, e.g. causal with Sq = Sk = 3:
 *
 *        k0    k1    k2
 *   q0   0     min   min
 *   q1   0     0     min
 *   q2   0     0     0
 *
 * Rounding (emulated bfloat16/float16, `precision`): query, key and value at entry (their gradients
 * too), the weights right before attn_weights · value_states, and the output; scores, softmax and
 * both matmuls accumulate in float32.
 *
 * Deviations from transformers, both required by the attnfuzz contract:
 * - A row whose mask entries are all <= MASK_MIN (no visible key) gives weights 0, hence output 0 and
 *   zero gradients; transformers' finfo.min makes such a row uniform over its keys.
 * - Mask entries below MASK_MIN (-Inf) are clamped to it, so no row softmaxes -Inf - -Inf = NaN.
 * - Dropout is deterministic: element (b, h, i, j) is kept where `dropoutMask` says so (the keep mask
 *   the harness hands over), else iff `dropoutKeep(dropoutSeed, b, h, i, j, p)` (src/contract/dropout.ts),
 *   instead of torch's RNG.
 *
 * Like transformers (and unlike the float64 reference), P·V runs over every key: a masked key has
 * weight 0, and 0 times a NaN in its value is NaN. So NaN in padding reaches the output, as it does
 * in PyTorch; attnfuzz writes only finite junk there for this kernel.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
// tfjs-core is the harness's own copy (one engine, gradients registered by src/backend).
import * as tf from '@tensorflow/tfjs-core';
import { dropoutScaleBlock, type Precision } from '../../src/contract/index.js';
import { matMul } from '../common/matMul.js';
import { roundTensor } from '../common/round.js';

/** torch.finfo(torch.float32).min: what transformers puts at masked positions of a float32 mask. */
export const MASK_MIN = -3.4028234663852886e38;

export interface EagerOptions {
  /** Multiplies query · keyᵀ (transformers: module.scaling = head_dim ** -0.5). */
  readonly scaling: number;
  /** Drop probability of the attention weights; 0 = none (module.training false). */
  readonly dropout?: number;
  /** Seed of the counter-based dropout hash. */
  readonly dropoutSeed?: number;
  /**
   * The keep mask [B, Hq, Sq, Sk] (true = kept), as the harness hands it over (`opts.dropout.keep`);
   * when absent, the counter hash of `dropoutSeed` decides.
   */
  readonly dropoutMask?: Tensor | null;
  /** Hq / Hkv (module.num_key_value_groups). */
  readonly numKeyValueGroups: number;
  /** Emulated dtype of query/key/value; default float32. */
  readonly precision?: Precision;
  /** Gemma 2's attn_logit_softcapping: tanh(w / softcap) · softcap before the mask; null = none. */
  readonly softcap?: number | null;
  /** gpt-oss's module.sinks [Hq]: one more softmax column per head, dropped after the softmax; null = none. */
  readonly sinks?: Tensor | null;
}

/**
 * repeat_kv: [B, Hkv, S, D] -> [B, Hkv · nRep, S, D], kv head g repeated nRep times in place
 * (torch.repeat_interleave on dim 1), so query head h reads kv head floor(h / nRep).
 */
export function repeatKv(hiddenStates: Tensor4D, nRep: number): Tensor4D {
  if (nRep === 1) return hiddenStates;
  const [batch, numKeyValueHeads, slen, headDim] = hiddenStates.shape;
  // transformers: hidden_states[:, :, None, :, :].expand(...).reshape(...). tfjs: broadcastTo is a
  // Tile, whose gradient exists only up to rank 4, so the expand runs on [B, Hkv, 1, S·D].
  const flat = tf.reshape(hiddenStates, [batch, numKeyValueHeads, 1, slen * headDim]);
  const expanded = tf.broadcastTo(flat, [batch, numKeyValueHeads, nRep, slen * headDim]);
  return tf.reshape(expanded, [batch, numKeyValueHeads * nRep, slen, headDim]);
}

/** attn_output [B, Sq, Hq, Dv] and attn_weights [B, Hq, Sq, Sk], as transformers returns them. */
export function eagerAttentionForward(
  query: Tensor4D,
  key: Tensor4D,
  value: Tensor4D,
  attentionMask: Tensor4D | null,
  options: EagerOptions,
): [Tensor4D, Tensor4D] {
  const {
    scaling,
    dropout = 0,
    dropoutSeed = 0,
    dropoutMask = null,
    numKeyValueGroups,
    precision = 'float32',
    softcap = null,
    sinks = null,
  } = options;
  const [B, Hq, Sq] = query.shape;
  const Sk = key.shape[2];
  if (Hq !== key.shape[1] * numKeyValueGroups) {
    throw new Error(
      `eager: numKeyValueGroups: query heads ${Hq} must equal key heads ${key.shape[1]} x numKeyValueGroups ` +
        `${numKeyValueGroups}`,
    );
  }
  query = roundTensor(tf, query, precision);
  key = roundTensor(tf, key, precision);
  value = roundTensor(tf, value, precision);

  const keyStates = repeatKv(key, numKeyValueGroups);
  const valueStates = repeatKv(value, numKeyValueGroups);

  let attnWeights: Tensor = tf.mul(matMul(tf, query, keyStates, false, true), scaling);
  if (softcap !== null) attnWeights = tf.mul(tf.tanh(tf.div(attnWeights, softcap)), softcap);
  let rowVisible: Tensor | null = null;
  if (attentionMask !== null) {
    // transformers: causal_mask = attention_mask[:, :, :, : key_states.shape[-2]]
    const [mB, mH, mSq] = attentionMask.shape;
    const causalMask = tf.maximum(tf.slice(attentionMask, [0, 0, 0, 0], [mB, mH, mSq, Sk]), MASK_MIN);
    attnWeights = tf.add(attnWeights, causalMask);
    // A row with no entry above MASK_MIN sees no key: its weights are zeroed after the softmax.
    // Read from a copy off the tape: a float mask (a bias) is differentiated, and Greater has no gradient.
    const detached = tf.tensor(causalMask.dataSync(), causalMask.shape);
    rowVisible = tf.cast(tf.greater(tf.max(detached, -1, true), MASK_MIN), 'float32');
  }

  if (sinks === null) {
    attnWeights = tf.softmax(attnWeights, -1);
  } else {
    // gpt-oss: combined_logits = cat([attn_weights, sinks]); probs = softmax(combined - max); drop the sink column.
    const sinkColumn = tf.broadcastTo(tf.reshape(sinks, [1, Hq, 1, 1]), [B, Hq, Sq, 1]);
    const combined = tf.concat([attnWeights, sinkColumn], -1);
    attnWeights = tf.slice(tf.softmax(tf.sub(combined, tf.max(combined, -1, true)), -1), [0, 0, 0, 0], [B, Hq, Sq, Sk]);
  }
  if (rowVisible !== null) attnWeights = tf.mul(attnWeights, rowVisible);
  if (dropout > 0) {
    const scale =
      dropoutMask !== null
        ? tf.div(tf.cast(dropoutMask, 'float32'), 1 - dropout)
        : tf.tensor4d(dropoutScaleBlock(dropoutSeed, dropout, [B, Hq, Sq, Sk]), [B, Hq, Sq, Sk]);
    attnWeights = tf.mul(attnWeights, scale);
  }
  attnWeights = roundTensor(tf, attnWeights, precision);

  let attnOutput: Tensor = matMul(tf, attnWeights, valueStates);
  attnOutput = tf.transpose(attnOutput, [0, 2, 1, 3]);
  attnOutput = roundTensor(tf, attnOutput, precision);
  return [attnOutput as Tensor4D, attnWeights as Tensor4D];
}
