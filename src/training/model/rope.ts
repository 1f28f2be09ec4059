/**
 * Rotary position embeddings (Su et al. 2021, RoFormer), in transformers' Llama form
 * (rotate_half over the two halves of the head dim, not interleaved pairs):
 *
 *   inv_freq[i] = theta^(-2i / Dh)             i < Dh/2
 *   angle[n, i] = pos[n] · inv_freq[i mod Dh/2] for the Dh columns (the half repeated)
 *   rope(x)     = x ∘ cos(angle) + rotate_half(x) ∘ sin(angle)
 *   rotate_half([x1, x2]) = [-x2, x1]
 *
 * The tables are computed on the host in float64 from the position ids, so packed sequences with
 * restarted positions and padded rows get exactly the angles their positions say.
 */
import { ROPE_THETA } from './config.js';

export interface RopeTables {
  /** [N, Dh], row n for token n of the flattened [B, S] batch. */
  readonly cos: Float64Array;
  readonly sin: Float64Array;
}

export function ropeTables(positionIds: Int32Array, Dh: number): RopeTables {
  const N = positionIds.length;
  const half = Dh / 2;
  const cos = new Float64Array(N * Dh);
  const sin = new Float64Array(N * Dh);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < Dh; c++) {
      const angle = positionIds[n]! * ROPE_THETA ** ((-2 * (c % half)) / Dh);
      cos[n * Dh + c] = Math.cos(angle);
      sin[n * Dh + c] = Math.sin(angle);
    }
  return { cos, sin };
}
