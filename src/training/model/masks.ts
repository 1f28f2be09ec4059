/**
 * What the model's attention layers may see (`MaskInputs`, src/contract/modelAttention.ts), worked
 * out on the host from what transformers has at hand: the 2D padding mask [B, S] (1 = token) or
 * null, and the position ids. Packed sequences (transformers' find_packed_sequence_indices): with no
 * padding mask, a position that does not continue its predecessor (pos[t] != pos[t-1] + 1) starts a
 * new document.
 */
import type { MaskInputs } from '../../contract/index.js';
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
  return mask2d?.some((m) => m === 0) ?? false;
}

export function maskInputs(batch: Pick<Batch, 'B' | 'S' | 'attentionMask' | 'positionIds'>): MaskInputs {
  const padding = hasPadding(batch.attentionMask) ? batch.attentionMask : null;
  const packed = padding === null ? packedSequenceIds(batch.positionIds, batch.B, batch.S) : null;
  return { B: batch.B, S: batch.S, padding, packed };
}
