/**
 * The allowance of one training tensor: how far an implementation may land from the expected value.
 *
 * In float32: the tolerance of tolerance.ts (rel · max|expected| + abs). In bfloat16 / float16, step
 * 1 is also run as the same-precision baseline: the float64 model rounded where the kernels round
 * (model/reference/model.ts), and each step-1 tensor is allowed the error model of
 * src/oracle/tolerance.ts on the whole network's scale: K·min(e_base, scale) + R·u·scale + G·u·N +
 * the float32 bound (tolerance.ts), scale = max|t| (gradients: the step's largest), N the norm of
 * the terms a LoRA gradient sums over the batch's tokens (0 for logits and the loss;
 * model/reference/model.ts `termNorms`).
 *
 * e_base is how far one rounding path lands from the exact step; a kernel takes another legal path
 * (flash rounds the unnormalised P~ and takes D_i from the rounded O: the contract's G term), and a
 * network can amplify a last-bit difference far beyond e_base. Seen (seed 11, 600 s campaign of
 * every built-in): three flash training steps in bf16/fp16 out of 9054 failed at 1.1-2.1x their
 * allowance while each of their attention calls passed the attention oracle at <= 0.31 of its
 * allowance; flash at any tiling landed dB 0.4-0.5 from the exact -0.05 where eager and the
 * baseline landed 0.06 and 0.04 away. So the baseline runs twice, the second time with each
 * rounding nudged by u/2 up and down in turn (another legal path, the same for every kernel). Two
 * paths whose errors are alike and independent land √2 times that error apart, so spread/√2 is
 * a second estimate of a path's error, used when it is larger than e_base: on that case 0.38
 * (spread 0.54); on default cases spread/e_base has median 2.0 and p90 4.3 (spread/√2: 1.4, 3.0).
 */
import type { HostTensor } from '../contract/index.js';
import { maxAbs, type TensorSpec, worstDiff } from '../oracle/index.js';
import type { StepRecord } from './model/index.js';
import { type Tolerance, TRAIN_MODEL } from './tolerance.js';

/** The largest |gradient| over every trainable tensor of a step, or anywhere in the reference's backward. */
export function gradientScale(step: StepRecord): number {
  let m = step.gradientTerms ?? 0;
  for (const g of step.grads.values()) m = Math.max(m, maxAbs(g));
  return m;
}

/** max|t| over the judged elements (weight != 0). */
export function maxAbsWeighted(t: HostTensor, weight?: Uint8Array): number {
  let m = 0;
  t.data.forEach((x, n) => {
    if (weight?.[n] !== 0 && Number.isFinite(x)) m = Math.max(m, Math.abs(x));
  });
  return m;
}

/** rel · max|expected| (over the judged elements) + abs. */
export function allowedOf(tol: Tolerance, expected: HostTensor, weight?: Uint8Array): number {
  return tol.rel * maxAbsWeighted(expected, weight) + tol.abs;
}

/** The same-precision baseline's part of a step-1 tensor's allowance (0 without a baseline). */
export interface Rounding {
  /** u_p of the case's precision. */
  readonly u: number;
  /** The tensor's scale: max|t|, or the step's largest gradient. */
  readonly scale: number;
  /** A parameter gradient's: the norm of the terms it sums over the batch's tokens (0 for logits and loss). */
  readonly terms?: number;
  readonly baseline: HostTensor | null;
  /** The baseline along the nudged rounding path (see the header). */
  readonly nudged?: HostTensor | null;
  /** Where the tensor is judged (logits: token positions only). */
  readonly weight?: Uint8Array;
}

/**
 * The allowance given the baseline's error e:
 *   K·min(max(e, spread/√2), scale) + R·u·scale + G·u·terms + the float32 bound.
 */
export function allowance(
  tol32: number,
  r: Rounding | null,
): (baselineError: number | null) => { allowed: number; floor: number } {
  if (r === null || r.baseline === null) return () => ({ allowed: tol32, floor: tol32 });
  const floor = tol32 + TRAIN_MODEL.R * r.u * r.scale + TRAIN_MODEL.G * r.u * (r.terms ?? 0);
  const cap = r.scale;
  const spread = r.nudged ? worstDiff(r.nudged, r.baseline, r.weight).error / Math.SQRT2 : 0;
  return (e) => ({ allowed: TRAIN_MODEL.K * Math.min(Math.max(e ?? 0, spread), cap) + floor, floor });
}

export function spec(
  name: string,
  pass: 'forward' | 'backward',
  group: string,
  expected: HostTensor,
  tol: Tolerance,
  weight?: Uint8Array,
  r: Rounding | null = null,
): TensorSpec {
  const allowed = allowedOf(tol, expected, weight);
  return {
    name,
    pass,
    group,
    expected,
    baseline: r?.baseline ?? null,
    allowance: allowance(allowed, r),
    ...(weight ? { weight } : {}),
  };
}
