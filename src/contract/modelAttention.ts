/**
 * The interface between a transformers-style model and its attention implementations (the
 * contract of the training-step suite), modelled on transformers' ALL_ATTENTION_FUNCTIONS: the model
 * works out on the host what its attention may see (`MaskInputs`, from the 2D padding mask and the
 * position ids) and calls one `AttentionFunction` per layer; each implementation honours causality,
 * padding and packed documents its own way (kernels/<name>/transformers.ts).
 *
 *   allowed[b, i, j] = causal (j <= i) AND key j is a token AND i, j in the same document
 *
 *   right-padded [1 1 0]         left-padded [0 1 1]          packed pos [0 1 0]
 *        k0 k1 k2                     k0 k1 k2                     k0 k1 k2
 *   q0   x  .  .                 q0   .  .  .  (no key: 0)    q0   x  .  .
 *   q1   x  x  .                 q1   .  x  .                 q1   x  x  .
 *   q2   x  x  .                 q2   .  x  x                 q2   .  .  x
 *
 * Every function takes q [B, Hq, S, Dh], k, v [B, Hkv, S, Dh] and returns [B, S, Hq, Dh], as
 * transformers' attention functions return attn_output before the o projection. S = Sq = Sk (no
 * cache), so top-left and bottom-right causal coincide.
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { TF } from './kernel.js';
import type { DropoutSpec, Precision } from './types.js';

/** The structure attention must honour, from the batch's mask and positions only (never its docIds). */
export interface MaskInputs {
  readonly B: number;
  readonly S: number;
  readonly padding: Uint8Array | null;
  /** Per-token document index when packed (and unpadded), else null. */
  readonly packed: Int32Array | null;
}

/** What the model passes to every attention function. */
export interface AttentionCall {
  readonly scaling: number;
  /** module.is_causal: true for a decoder; the functions decide how to honour it. */
  readonly isCausal: boolean;
  readonly masks: MaskInputs;
  /**
   * Attention dropout of this layer and step, or null: weight (b, h, i, j) of the padded [B, S]
   * batch is kept iff dropoutKeep(seed, b, h, i, j, p) (src/contract/dropout.ts). The model uses it
   * only where every implementation sees a token at the same (b, i): no padding, or right padding
   * (a varlen implementation numbers the sequences as the rows then).
   */
  readonly dropout: DropoutSpec | null;
  /** The precision attention emulates (the contract's rounding points, src/contract/types.ts). */
  readonly precision: Precision;
}

export type AttentionFunction = (tf: TF, q: Tensor4D, k: Tensor4D, v: Tensor4D, call: AttentionCall) => Tensor4D;

/** True iff nothing but causality restricts attention (then the implementation must apply is_causal itself). */
export function onlyCausal(m: MaskInputs): boolean {
  return m.padding === null && m.packed === null;
}

/** allowed [B, S, S] (row-major, 1 = may attend): causal AND key is a token AND same document. */
export function allowedMask(m: MaskInputs): Uint8Array {
  const { B, S, padding, packed } = m;
  const out = new Uint8Array(B * S * S);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < S; i++)
      for (let j = 0; j <= i; j++) {
        if (padding && padding[b * S + j] === 0) continue;
        if (packed && packed[b * S + j] !== packed[b * S + i]) continue;
        out[(b * S + i) * S + j] = 1;
      }
  return out;
}

/** Cumulative sequence lengths [nseq + 1] and the flat token indices of the unpadded batch. */
export interface Varlen {
  /** Flat [B·S] indices of the tokens kept, in order. */
  readonly indices: Int32Array;
  readonly cuSeqlens: Int32Array;
  readonly maxSeqlen: number;
}

/**
 * transformers' _upad_input / prepare_fa_kwargs_from_position_ids: one varlen sequence per padded
 * row (its tokens), or per packed document.
 */
export function varlenOf(m: MaskInputs): Varlen {
  const { B, S, padding, packed } = m;
  const indices: number[] = [];
  const lengths: number[] = [];
  for (let b = 0; b < B; b++) {
    let len = 0;
    for (let t = 0; t < S; t++) {
      const n = b * S + t;
      if (padding && padding[n] === 0) continue;
      if (packed && t > 0 && packed[n] !== packed[n - 1] && len > 0) {
        lengths.push(len);
        len = 0;
      }
      indices.push(n);
      len++;
    }
    if (len > 0) lengths.push(len);
  }
  const cu = new Int32Array(lengths.length + 1);
  for (const [n, l] of lengths.entries()) cu[n + 1] = cu[n]! + l;
  return { indices: Int32Array.from(indices), cuSeqlens: cu, maxSeqlen: Math.max(0, ...lengths) };
}
