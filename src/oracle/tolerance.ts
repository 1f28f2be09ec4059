/**
 * The tolerance rule, after flash-attention's tests: a kernel is judged relative to how far a
 * trusted same-precision implementation (the baseline: eager, in the same dtype) lands from the
 * float64 reference on the very same inputs.
 *
 *   pass  iff  maxAbs(kernel - ref) <= k_t · maxAbs(baseline - ref) + floor(dtype, magnitude)
 *   floor     = FLOOR_ULPS · u(dtype) · magnitude_t,   magnitude_t = max(max|ref_t|, natural_t)
 *
 * Why relative to a baseline: the error a correct kernel makes depends on the case (logits of 1e4,
 * near-ties, bfloat16 rounding of P, long reductions); an absolute bound is either too loose for
 * easy cases or fails hard ones. The baseline measures the case's difficulty in that precision.
 *
 * Why a floor: the baseline can be exact by luck (small integers, one visible key), and any
 * implementation that rounds its outputs to the dtype is off by up to u·|x| per element. Two
 * units of roundoff of the tensor's magnitude is what two rounded results of a few operations
 * differ by; a real bug (a wrong key, a lost rescale, a dropped block) moves values by O(|x|).
 *
 * K_T and the floor, measured by `bench/calibrate-oracle.ts` (correct kernels sdpa and flash, eager baseline):
 *   - with the floor first tried, 2u·max|ref_t| (300 random cases, seed 1), the ratio
 *     error / baselineError of flash reached 3.2 (out) and 5.9 (dv) in float32, 1.6 / 1.3 in
 *     bfloat16 and float16; dq and dk were unbounded (cancelling gradients: a reference of ~0, a
 *     baseline exact by luck), which is why the floor now uses natural_t (below). sdpa's ratio was
 *     exactly 1 (it runs the same ops as eager). Hence K_T = 4 for out, 8 for the gradients.
 *   - with the floor as it is now (200 cases x 2 kernels, seed 3): no correct kernel's error
 *     exceeded the floor, and the largest error / allowed was 0.16 (flash float32 out), 0.10 in
 *     bfloat16 and float16; 60 s campaigns of eager, sdpa and flash (about 1100-2300 cases each)
 *     ran clean. A real bug (a wrong key, a lost rescale, a dropped block, a detached gradient)
 *     moves values by O(|x|), orders of magnitude above the allowance.
 */
import { type AttentionTensorName, type Precision, UNIT_ROUNDOFF } from '../contract/index.js';

/** k_t: how many times the baseline's error a kernel may make, per tensor. See the header. */
export const K_T: Record<AttentionTensorName, number> = {
  out: 4,
  dq: 8,
  dk: 8,
  dv: 8,
};

/**
 * Why natural_t and not only max|ref_t|: gradients cancel. dq_i = scale · Σ_j dS_ij k_j sums terms
 * of size scale·|k|·|dP| into a result that can be ~0 (exactly 0 when one key is visible, as
 * Σ_j dS_ij = 0), so every implementation's rounding noise is u times the terms, not the result;
 * seen here: flash dq off by 1.3e-7 on a reference of 0.04 (and 3.9e-8 on a reference of exactly 0)
 * while eager happened to be closer. natural_t is the typical size of the terms each tensor sums, from
 * the inputs (sqrt of the counts: random-sign sums), see `naturalScales`.
 */
export type TensorScales = Record<AttentionTensorName, number>;

const maxAbsOf = (a: ArrayLike<number>) => {
  let m = 0;
  for (let n = 0; n < a.length; n++) {
    const x = Math.abs(a[n]!);
    if (Number.isFinite(x) && x > m) m = x;
  }
  return m;
};

/**
 *   out  Σ_j P_ij v_j                       max|v|
 *   dv   Σ_i P_ij dO_i over Sq·G queries     max|dO| · sqrt(Sq·G)
 *   dP   dO_i · v_j over Dv                  max|dO| · max|v| · sqrt(Dv)
 *   dq   scale Σ_j dS_ij k_j                 |scale| · max|k| · 2 dP
 *   dk   scale Σ_i dS_ij q_i over Sq·G       |scale| · max|q| · 2 dP · sqrt(Sq·G)
 * Every one of them is multiplied by (1 + L), L = |scale|·max|q|·max|k|·sqrt(D) the typical logit
 * size: P = exp(S - m) (or exp(S - lse), flash) is computed from logits with absolute error u·|S|,
 * a relative error u·|S| in P whatever the implementation (the conditioning of softmax). Seen here:
 * flash dv off by 7.5e-7 on 1.96 with logits of ~40 in float32, eager by 7.6e-8.
 * With dropout every P is scaled by 1/(1-p) (up to 10 at p = 0.9): so are out, dv and dP.
 * Junk at invisible keys is not counted (only finite values, and junk is never read): huge junk
 * would inflate max|k|, max|v|; the materialiser writes it only where no query looks, so it is
 * excluded by taking maxima over finite values below `JUNK_LIMIT`.
 */
export function naturalScales(
  inputs: { readonly q: { readonly data: ArrayLike<number> }; readonly k: { readonly data: ArrayLike<number> }; readonly v: { readonly data: ArrayLike<number> }; readonly dOut: { readonly data: ArrayLike<number> } },
  shapes: { readonly Hq: number; readonly Hkv: number; readonly Sq: number; readonly D: number; readonly Dv: number },
  scale: number,
  dropoutP = 0,
): TensorScales {
  const capped = (a: ArrayLike<number>) => {
    let m = 0;
    for (let n = 0; n < a.length; n++) {
      const x = Math.abs(a[n]!);
      if (Number.isFinite(x) && x < JUNK_LIMIT && x > m) m = x;
    }
    return m;
  };
  const [q, k, v, dO] = [capped(inputs.q.data), capped(inputs.k.data), capped(inputs.v.data), maxAbsOf(inputs.dOut.data)];
  const rows = Math.sqrt(shapes.Sq * (shapes.Hq / shapes.Hkv));
  const keep = (1 / (1 - dropoutP)) * (1 + Math.abs(scale) * q * k * Math.sqrt(shapes.D));
  const dP = dO * v * Math.sqrt(shapes.Dv) * keep;
  return { out: v * keep, dv: dO * rows * keep, dq: Math.abs(scale) * k * 2 * dP, dk: Math.abs(scale) * q * 2 * dP * rows };
}

/** Values at or above this are junk (the materialiser's 'huge' is 1e30 or 6e4 in float16) for `naturalScales`. */
export const JUNK_LIMIT = 5e4;

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
