/**
 * The error model of the attention contract: how far a kernel that keeps the contract may land
 * from the float64 reference, per tensor t (out, dq, dk, dv) and precision p. The contract rounds
 * at p: the inputs q, k, v, dOut (the harness hands them over rounded), the weights Pdrop before
 * Pdrop·V, and the outputs out, dq, dk, dv; everything else (logits, softmax, both products of the
 * forward and of the backward) is float32 arithmetic. So:
 *
 *   allowed_t = K_t · min(e_base, C_t · u_p · N_t)  +  R · u_p · max|ref_t|  +  G_t · u_p · N_t  +  F · u_32 · (1 + L + √n) · N_t  +  Z · z_p · M_t
 *               \__ the case's own rounding, ___/     \__ the output's __/     \_ where ___/     \__ float32 arithmetic ______/
 *                   capped                               last bit                rounding may
 *                                                                                 differ
 *
 *   e_base  max|baseline_t - ref_t|, the baseline being the reference's own algorithm rounded at the
 *           contract's points (src/reference `referenceAttention(..., round)`): plain TypeScript, so it
 *           cannot share a kernel's bug, and it costs a fraction of a tfjs kernel run
 *   N_t     the norm of the terms tensor t sums, the largest over its elements (src/reference
 *           termScales.ts): a rounded weight moves a sum by u times the norm of its terms, which
 *           can be far above |t| (gradients cancel) and far below a product of maxima
 *   L       the largest |logit| of a visible key (float32 logits carry u_32·|S|: softmax's conditioning)
 *   n       Sk, the longest sum (float32 accumulation, a random walk of √n roundings)
 *   z_p M_t underflow: a weight below the precision's smallest normal rounds by an absolute step z_p
 *           (float16: 2^-24), moving the element by at most z_p times the mass of its factors M_t
 *           (termScales.ts); seen: float16 outputs of 1e-8 off by 2.7e-8
 *
 * Why capped: the baseline's error measures how hard this case is in this precision, but nothing
 * bounds it above but the rounding itself; the cap C_t·u_p·N_t is what rounding the weights can do
 * to tensor t at most (in the random-sign sense), so a case cannot buy an allowance rounding does
 * not explain. Why R: kernel and baseline each round their output to p; computed from float32 and
 * float64 values that differ in the last bits, they can land on neighbouring representable values.
 * Why G: the contract fixes what is rounded, not the algorithm around it. FlashAttention-2 rounds
 * the unnormalised P~ and its backward takes D_i = rowsum(dO_i∘O_i) from the rounded output
 * (Algorithm 2), where the baseline sums P∘dP exactly; both are compliant and differ by one
 * rounding of the terms (seen: flash bf16 dq = -3.3e-5 where the exact and the baseline's are 0,
 * the terms being 8.5e-3). The terms of dq and dk are therefore taken before the cancellation
 * dS = P∘dP - P∘D (src/reference/termScales.ts).
 *
 * The constants are measured by bench/calibrate-oracle.ts (tightness: the largest error/allowed of
 * the correct built-in kernels over 10^5 default cases per precision) and bench/oracle-power.ts
 * (power: the share of informative cases in which a deliberately perturbed kernel is flagged); the
 * README prints both tables.
 */
import { UNDERFLOW, UNIT_ROUNDOFF, type AttentionTensorName, type Precision } from '../contract/index.js';

/** K_t: how many times the baseline's (capped) error a kernel may make. */
export const K_T: Record<AttentionTensorName, number> = { out: 2, dq: 2, dk: 2, dv: 2 };
/** C_t: the cap on the baseline's error, in units of u_p·N_t. */
export const CAP_T: Record<AttentionTensorName, number> = { out: 4, dq: 4, dk: 4, dv: 4 };
/** R: units of roundoff of the tensor's magnitude always allowed (output rounding). */
export const OUTPUT_ULPS = 2;
/** G_t: units of roundoff of the terms always allowed (rounding placed elsewhere by a compliant algorithm). */
export const TERM_ULPS: Record<AttentionTensorName, number> = { out: 1, dq: 1, dk: 1, dv: 1 };
/** F: units of float32 roundoff of the terms allowed per unit of (1 + L + √n). */
export const FLOAT32_TERMS = 4;

/** Z: steps of underflow allowed per unit of the factors' mass. */
export const UNDERFLOW_STEPS = 2;

export interface ErrorScales {
  /** N_t: the norm of the terms each tensor sums (max over its elements). */
  readonly terms: Record<AttentionTensorName, number>;
  /** M_t: the mass of the factors a weight multiplies (max over elements). */
  readonly mass: Record<AttentionTensorName, number>;
  /** L: the largest visible |logit|. */
  readonly logit: number;
  /** n: the longest sum (Sk). */
  readonly keys: number;
}

/** The allowance of tensor t: its floor (without the baseline) and the full rule given e_base. */
export function attentionAllowance(t: AttentionTensorName, precision: Precision, magnitude: number, scales: ErrorScales) {
  const u = UNIT_ROUNDOFF[precision];
  const N = scales.terms[t];
  const floor =
    OUTPUT_ULPS * u * magnitude +
    TERM_ULPS[t] * u * N +
    FLOAT32_TERMS * UNIT_ROUNDOFF.float32 * (1 + scales.logit + Math.sqrt(scales.keys)) * N +
    UNDERFLOW_STEPS * UNDERFLOW[precision] * scales.mass[t];
  const cap = CAP_T[t] * u * N;
  return {
    floor,
    cap,
    allowed: (baselineError: number | null) => K_T[t] * Math.min(baselineError ?? 0, cap) + floor,
  };
}

/**
 * The size, in units of u_p, of what rounding at p and float32 arithmetic can do to tensor t:
 * N_t · (1 + (u_32 / u_p) · (1 + L + √n)). Two runs of correct kernels (two tilings, two layouts)
 * differ by a few of these units; the metamorphic properties compare within n·u_p of it.
 */
export function roundingScale(t: AttentionTensorName, precision: Precision, scales: ErrorScales): number {
  const ratio = UNIT_ROUNDOFF.float32 / UNIT_ROUNDOFF[precision];
  return scales.terms[t] * (1 + ratio * (1 + scales.logit + Math.sqrt(scales.keys)));
}
