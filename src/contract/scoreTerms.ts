/**
 * The score options of the contract, one function each, read on the host (the reference, golden
 * files, kernels that build their terms on the host). Order, as flash-attn's reference applies them:
 *
 *   s = scale·q·kᵀ  ->  softcap c·tanh(s/c)  ->  visibility  ->  + ALiBi + bias  ->  softmax with sink
 *
 *   ALiBi, Sq = 2, Sk = 4, slope m (distance to the bottom-right diagonal d = i + Sk - Sq):
 *        k0   k1   k2   k3
 *   q0  -2m  -m    0   -m
 *   q1  -3m  -2m  -m    0
 *
 *   sink: p_ij = e^{s_ij} / (Σ_j e^{s_ij} + e^{sink_h}): the weights of a row sum to less than 1,
 *   the sink's share going nowhere (it has no value); a row with no visible key stays at 0.
 */
import type { HostTensor } from './types.js';

/** c·tanh(s/c), or s when c is null/absent. */
export function softcapped(s: number, c: number | null | undefined): number {
  return c == null ? s : c * Math.tanh(s / c);
}

/** ALiBi's term for query i, key j of head h in batch row b: -slope·|i + Sk - Sq - j|. Slopes [Hq] or [B, Hq]. */
export function alibiTerm(
  slopes: HostTensor | null | undefined,
  b: number,
  h: number,
  i: number,
  j: number,
  Sq: number,
  Sk: number,
): number {
  if (slopes == null) return 0;
  const Hq = slopes.shape[slopes.shape.length - 1]!;
  const slope = slopes.shape.length === 1 ? slopes.data[h]! : slopes.data[b * Hq + h]!;
  return -slope * Math.abs(i + Sk - Sq - j);
}

/** Flat index of element (b, h, i, j) in a bias [B|1, Hq|1, Sq, Sk] (broadcast over its size-1 dims). */
export function biasIndex(bias: Pick<HostTensor, 'shape'>, b: number, h: number, i: number, j: number): number {
  const [bB, bH, bSq, bSk] = bias.shape as [number, number, number, number];
  return (((bB === 1 ? 0 : b) * bH + (bH === 1 ? 0 : h)) * bSq + i) * bSk + j;
}

/** The bias's term at (b, h, i, j), 0 without a bias. */
export function biasTerm(bias: HostTensor | null | undefined, b: number, h: number, i: number, j: number): number {
  return bias == null ? 0 : bias.data[biasIndex(bias, b, h, i, j)]!;
}

/** The sink logit of query head h, -Infinity (no sink: e^{-inf} = 0 in the denominator) without sinks. */
export function sinkOf(sinks: HostTensor | null | undefined, h: number): number {
  return sinks == null ? -Infinity : sinks.data[h]!;
}

/** True iff the options use any score option (softcap, ALiBi, bias, sinks). */
export function hasScoreOptions(o: {
  readonly softcap?: unknown;
  readonly alibiSlopes?: unknown;
  readonly bias?: unknown;
  readonly sinks?: unknown;
}): boolean {
  return o.softcap != null || o.alibiSlopes != null || o.bias != null || o.sinks != null;
}
