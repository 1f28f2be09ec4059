/**
 * What the model's attention layers may see, worked out on the host from what transformers has at
 * hand: the 2D padding mask [B, S] (1 = token) or null, and the position ids.
 *
 * - packed sequences (transformers' find_packed_sequence_indices): with no padding mask, a position
 *   that does not continue its predecessor (pos[t] != pos[t-1] + 1) starts a new document;
 * - `allowed[b, i, j]`: causal (j <= i) AND key j is a token AND i, j in the same document,
 *   as create_causal_mask combines causal_mask_function, padding_mask_function and
 *   packed_sequence_mask_function.
 *
 *   right-padded [1 1 0]         left-padded [0 1 1]          packed pos [0 1 0]
 *        k0 k1 k2                     k0 k1 k2                     k0 k1 k2
 *   q0   x  .  .                 q0   .  .  .  (no key: 0)    q0   x  .  .
 *   q1   x  x  .                 q1   .  x  .                 q1   x  x  .
 *   q2   x  x  .                 q2   .  x  x                 q2   .  .  x
 */
import type { Batch } from './batch.js';

/** Document index of each token [B, S] when position ids restart inside a row; null when none do. */
export function packedSequenceIds(positionIds: Int32Array, B: number, S: number): Int32Array | null {
  const ids = new Int32Array(B * S);
  let restarts = false;
  for (let b = 0; b < B; b++)
    for (let t = 1; t < S; t++) {
      const n = b * S + t;
      const restart = positionIds[n] !== positionIds[n - 1]! + 1;
      restarts ||= restart;
      ids[n] = ids[n - 1]! + (restart ? 1 : 0);
    }
  return restarts ? ids : null;
}

/** True iff the 2D mask masks something (an all-ones mask is dropped, as transformers does for sdpa). */
export function hasPadding(mask2d: Uint8Array | null): mask2d is Uint8Array {
  return mask2d !== null && mask2d.some((m) => m === 0);
}

/** The structure attention must honour, from the batch's mask and positions only (never its docIds). */
export interface MaskInputs {
  readonly B: number;
  readonly S: number;
  readonly padding: Uint8Array | null;
  /** Per-token document index when packed (and unpadded), else null. */
  readonly packed: Int32Array | null;
}

export function maskInputs(batch: Pick<Batch, 'B' | 'S' | 'attentionMask' | 'positionIds'>): MaskInputs {
  const padding = hasPadding(batch.attentionMask) ? batch.attentionMask : null;
  const packed = padding === null ? packedSequenceIds(batch.positionIds, batch.B, batch.S) : null;
  return { B: batch.B, S: batch.S, padding, packed };
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
  lengths.forEach((l, n) => (cu[n + 1] = cu[n]! + l));
  return { indices: Int32Array.from(indices), cuSeqlens: cu, maxSeqlen: Math.max(0, ...lengths) };
}
