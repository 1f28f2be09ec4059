/**
 * The tolerance rule, after flash-attention's tests: a kernel is judged relative to how far a
 * trusted same-precision implementation (the baseline: eager, in the same dtype) lands from the
 * float64 reference on the very same inputs.
 *
 *   pass  iff  maxAbs(kernel - ref) <= k_t · maxAbs(baseline - ref) + floor(dtype, magnitude)
 *   floor     = FLOOR_ULPS · u(dtype) · max|ref_t|
 *
 * Why relative to a baseline: the error a correct kernel makes depends on the case (logits of 1e4,
 * near-ties, bfloat16 rounding of P, long reductions); an absolute bound is either too loose for
 * easy cases or fails hard ones. The baseline measures the case's difficulty in that precision.
 *
 * Why a floor: the baseline can be exact by luck (small integers, one visible key), and any
 * implementation that rounds its outputs to the dtype is off by up to u·|x| per element. Two
 * units of roundoff of the tensor's largest value is what two rounded results of a few operations
 * differ by; a real bug (a wrong key, a lost rescale, a dropped block) moves values by O(|x|).
 *
 * K_T, measured by `calibrate.ts` (correct kernels sdpa and flash against the eager baseline, over
 * random cases of every precision; numbers in the comment below): the largest ratio
 * error/(baselineError) observed was at most about 2.x for out and at most about 3.x for the
 * gradients (the backward pass of flash recomputes P from the log-sum-exp and sums dK/dV over
 * different groupings, so its rounding differs more from eager's than its forward does). The factors
 * leave a margin of about 2 over the worst ratio seen: tight enough that a bug moving a value by a
 * few percent fails, loose enough that 10-minute campaigns of correct kernels stay clean.
 */
import type { AttentionTensorName, Precision } from '../contract/index.js';
import { UNIT_ROUNDOFF } from '../contract/index.js';

/** k_t: how many times the baseline's error a kernel may make, per tensor. See the header. */
export const K_T: Record<AttentionTensorName, number> = {
  out: 4,
  dq: 6,
  dk: 6,
  dv: 6,
};

/** Units of roundoff of the tensor's magnitude always allowed. See the header. */
export const FLOOR_ULPS = 2;

export function floorFor(precision: Precision, magnitude: number): number {
  return FLOOR_ULPS * UNIT_ROUNDOFF[precision] * magnitude;
}

/** The allowed error; a failed (null) or non-finite baseline contributes nothing. */
export function allowedError(tensor: AttentionTensorName, baselineError: number | null, floor: number): number {
  const base = baselineError !== null && Number.isFinite(baselineError) ? baselineError : 0;
  return K_T[tensor] * base + floor;
}
