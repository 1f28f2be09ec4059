/**
 * What the attention case arbitrary draws from, and how often: the values of each option (scales,
 * dropout rates, mask densities, score options) and the weights that keep most cases informative.
 * Shared with the decode arbitrary (its scales).
 */
import type { ValueDistribution } from '../types.js';

/** Non-default scales: exact powers of two, and two that are not exact in binary. */
export const SCALES = [1, 0.5, 2, 0.125, 0.1, 0.3];

/**
 * A drawn non-default scale as a factor of what the head dim calls for (divided by the power of two
 * nearest sqrt(D), so the scale stays exact): scale 2 with D = 128 would saturate every softmax.
 */
export const scaleForHeadDim = (drawn: number | null, D: number): number | null =>
  drawn === null ? null : drawn / 2 ** Math.round(Math.log2(Math.sqrt(D)));

/** Dropout rates, the common one first; 0.9 (most weights dropped) and 0 less often. */
export const DROPOUT_P = [0.5, 0.1, 0.9, 0];
export const DROPOUT_WEIGHTS = new Map([
  [0.5, 3],
  [0.1, 3],
  [0.9, 1],
  [0, 1],
]);
/** Mask densities: all-true first (the simplest mask), down to all-false. */
export const DENSITIES = [1, 0.8, 0.5, 0.2, 0];
/** How often each density is drawn: a mask that hides (almost) everything leaves nothing to check. */
export const DENSITY_WEIGHTS = new Map([
  [1, 6],
  [0.8, 10],
  [0.5, 8],
  [0.2, 2],
  [0, 1],
]);
/**
 * How often each value distribution is drawn: mostly values whose every output and gradient is
 * clearly non-zero (bench/signal.ts); 'large' saturates the softmax and 'near-ties' and 'offset'
 * make dQ cancel, so they are kept for what they test, not for signal.
 */
export const VALUE_WEIGHTS = new Map<ValueDistribution, number>([
  ['small-int', 10],
  ['normal', 64],
  ['near-ties', 1],
  ['large', 1],
  ['rising', 8],
  ['offset', 1],
]);
/** Weights of a small Sq of 1 (decode) and of a small Sk of 1 (one key: no gradient through softmax), see `length`. */
export const SQ_ONE_WEIGHT = 4;
export const SK_ONE_WEIGHT = 1;
/** Large cases: Sq is 1 (decode), small or long; Sk is long, small, or Sq. */
export const Q_PICKS = ['decode', 'small', 'long'] as const;
export const K_PICKS = ['long', 'small', 'same'] as const;

/**
 * Softcaps relative to the scale's typical logit (|s| ~ 1 for 'normal' values): 1 bends every
 * logit, 5 the large ones, 30 and 50 (Gemma 2's final and attention caps) only 'large' values.
 */
export const SOFTCAPS = [5, 1, 30, 50];
/** ALiBi's largest slope: the standard slopes 2^(-8h/H) lie in (0, 0.5]; 2 makes a steep one. */
export const ALIBI_MAX_SLOPES = [0.5, 0.125, 2];
/** Bias spreads: a bias that moves logits by ~1 is felt without swamping q·k. */
export const BIAS_STDS = [1, 0.1, 4];
/** Sink means: 0 (a sink like one more key), 3 (it takes most of the weight), -3. */
export const SINK_MEANS = [0, 3, -3];
