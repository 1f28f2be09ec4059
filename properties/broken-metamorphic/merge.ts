/**
 * A merge of split-KV states written without the empty-state guard (flashinfer-ai/flashinfer#4051):
 * m = max_c lse_c, then e^{lse_c - m}: when every state is empty, m = -inf and -inf - -inf = NaN.
 */
import type { MergeStates } from '../support/metamorphic-split-kv.js';

export const mergeWithoutEmptyGuard: MergeStates = (parts) => {
  const rows = parts[0]!.lse.data.length;
  const Dv = parts[0]!.out.data.length / rows;
  const out = new Float64Array(rows * Dv);
  const lse = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const m = Math.max(...parts.map((p) => p.lse.data[r]!));
    const l = parts.reduce((s, p) => s + Math.exp(p.lse.data[r]! - m), 0);
    lse[r] = m + Math.log(l);
    for (const p of parts)
      for (let e = 0; e < Dv; e++) out[r * Dv + e]! += (Math.exp(p.lse.data[r]! - m) / l) * p.out.data[r * Dv + e]!;
  }
  return { out: { shape: parts[0]!.out.shape, data: out }, lse: { shape: parts[0]!.lse.shape, data: lse } };
};
