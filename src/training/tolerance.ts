/**
 * How far a float32 training step may be from its expected values, per tensor kind.
 *
 * Measured (scripts in the properties' history): across random training cases the float32 model
 * is within ~1e-6 of the float64 reference, norm-wise, for logits, loss and every LoRA gradient,
 * whatever the attention path (worst seen: 3.5e-7 on logits over 25 random cases x 3 paths);
 * eager, sdpa and flash differ from each other by the same order.
 * REL_BOUND leaves a margin of ~20x; a real bug (attention seeing the future, padding leaking, a
 * gradient detached) moves these tensors by 1e-2 and more.
 *
 * Parameters after AdamW: step 1 moves a parameter by lr·g/(|g| + eps), whose derivative in g is at
 * most 1/eps, so a gradient error δg may move it by lr·δg/eps (and never more than ~2·lr, the
 * largest update Adam makes). Each step adds its own share, hence t · lr · min(2, δg/eps).
 */
import { type Precision, UNIT_ROUNDOFF } from '../contract/index.js';
import type { AdamWConfig } from './model/index.js';

/** allowed = rel · max|expected| + abs (norm-wise, as src/contract/compare.ts explains). */
export interface Tolerance {
  readonly rel: number;
  readonly abs: number;
}

export const REL_BOUND = 2e-5;
export const ABS_FLOOR = 1e-7;

/**
 * In bfloat16 / float16 the model's attention and LoRA layers round at the contract's points
 * (src/contract/types.ts, lora.ts) where the float64 model does not: every layer adds a few roundings
 * of its activations. The same error model as the kernels' (src/oracle/tolerance.ts), in the only
 * scale a whole network offers, its tensors' magnitudes: TRAIN_ULPS units of roundoff u_p.
 * Measured (60 cases per precision, eager, sdpa, flash): logits within 7.8u of max|logits|, the loss
 * within 0.6u, gradients within 61u of the step's largest gradient (where B ~ 0 makes dB tiny).
 */
export const TRAIN_ULPS = 32;

/**
 * The error model of step 1 in bfloat16 / float16 against the same-precision baseline (run.ts):
 * K times the baseline's error, capped at the tensor's own scale, plus R·u·scale, plus G·u·N for a
 * LoRA gradient (N the norm of its terms over the batch's tokens: dB = Σ_n dδ_n·h_nᵀ, where each
 * rounded dδ_n or h_n may land on the neighbouring value in the kernel and not in the baseline, a
 * random-sign sum of u·|term| that grows as √N where dB itself can cancel), plus the float32
 * bound. The cap is the tensor's scale and not a few roundings of it, as for attention, because a
 * network amplifies rounding: seen, a bfloat16 step (alpha 16, LoRA dropout, left padding) whose
 * baseline lands dB at 1.0 where the exact value is 3.2, and eager, sdpa and flash all at 1.0.
 * The baseline is plain TypeScript: it cannot share a bug of the kernel under test.
 */
export const TRAIN_MODEL = { K: 4, R: 4, G: 1 } as const;

/** The relative bound of a training tensor in a precision: REL_BOUND in float32, TRAIN_ULPS·u_p below it. */
export function relativeBound(precision: Precision): number {
  return Math.max(REL_BOUND, TRAIN_ULPS * UNIT_ROUNDOFF[precision]);
}

export function forwardTolerance(precision: Precision): Tolerance {
  return { rel: relativeBound(precision), abs: ABS_FLOOR };
}

export const FORWARD_TOLERANCE: Tolerance = forwardTolerance('float32');
/**
 * A gradient that is small because large terms cancel (dQ of a query that sees few keys, dB of an
 * adapter right after B = 0) carries the rounding error of those terms, which are of the order of
 * the step's largest gradient: the absolute part is the relative bound times that scale.
 */
export function gradientTolerance(stepGradientScale: number, precision: Precision = 'float32'): Tolerance {
  const rel = relativeBound(precision);
  return { rel, abs: ABS_FLOOR + rel * stepGradientScale };
}
/** Frozen weights must come back bit for bit. */
export const EXACT: Tolerance = { rel: 0, abs: 0 };

/** Tolerance of a parameter after step t, given the allowed error of its gradient. */
export function parameterTolerance(
  adamw: AdamWConfig,
  t: number,
  gradAllowed: number,
  precision: Precision = 'float32',
): Tolerance {
  // The derivative bound lr/eps is reached where |g| ~ 0, as the gradient's own error is: a factor 2
  // keeps both from landing on the bound together (measured: 0.94 of it in bfloat16 without).
  const perStep = adamw.lr * Math.min(2, (2 * gradAllowed) / Math.max(adamw.eps, 1e-30));
  return { rel: relativeBound(precision), abs: ABS_FLOOR + t * perStep };
}
