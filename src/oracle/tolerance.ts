/**
 * The error model of the attention contract: how far a kernel that keeps the contract may land
 * from the float64 reference, per tensor t (out, dq, dk, dv) and precision p. The contract rounds
 * at p: the inputs q, k, v, dOut (the harness hands them over rounded), the weights Pdrop before
 * Pdrop·V, and the outputs out, dq, dk, dv; everything else (logits, softmax, both products of the
 * forward and of the backward) is float32 arithmetic. So:
 *
 *   allowed_t = K_t · min(e_base, C_t · u_p · N_t)  +  R · u_p · max|ref_t|  +  G_t · u_p · N_t
 *               \__ the case's own rounding, ___/     \__ the output's __/     \_ where ___/
 *                   capped                               last bit                rounding may
 *                                                                                 differ
 *             +  F · u_32 · (1 + √n) · N_t  +  E · u_32 · L · N_t  +  Z · z_p · M_t
 *                \__ float32 sums ____/     \_ float32 logits _/
 *                                              through exp
 *
 *   e_base  max|baseline_t - ref_t|, the baseline being the reference's own algorithm rounded at the
 *           contract's points (src/reference `referenceAttention(..., round)`): plain TypeScript, so it
 *           cannot share a kernel's bug, and it costs a fraction of a tfjs kernel run
 *   N_t     the norm of the terms tensor t sums, the largest over its elements (src/reference
 *           termScales.ts): a rounded weight moves a sum by u times the norm of its terms, which
 *           can be far above |t| (gradients cancel) and far below a product of maxima
 *   L       the largest scale·Σ_d|q_d·k_d| of a visible key, times (1 + √D)/2 (a float32 logit carries
 *           u_32 times it: softmax's conditioning; see "Why E" below and `logitRoundings`)
 *   n'      softmax's denominator, a float32 sum of n' = Sk positive terms (out, dq; 0 for dk, dv): its
 *           error, about u_32·√n' relative, scales every term of a row alike, so it moves the element
 *           by u_32·√n'·|t|, not by u_32·√n'·N_t (the norm of terms of one sign is √n' below their sum).
 *           Charged as F · u_32 · √n' · max|ref_t| (the "float32 sums" term's coherent part). Seen
 *           without it: ONNX Runtime 1.30's float32 decode out 1.17x its allowance on a row of 929 keys
 *           (out 0.073, off by 1.24e-7 = u_32·√929·|out|·0.9), where the terms' norm is 0.033.
 *   n       the longest float32 sum behind t (a random walk of √n roundings): Sk for out and dq, the
 *           query rows of the kv group, Sq·Hq/Hkv (at least Sk), for dk and dv (attention.ts `longestSum`)
 *   z_p M_t underflow: a weight below the precision's smallest normal rounds by an absolute step z_p
 *           (float16: 2^-24), moving the element by at most z_p times the mass of its factors M_t
 *           (termScales.ts); seen: float16 outputs of 1e-8 off by 2.7e-8
 *
 * Why capped: the baseline's error measures how hard this case is in this precision, but nothing
 * bounds it above but the rounding itself; the cap C_t·u_p·N_t is what rounding the weights can do
 * to tensor t at most (in the random-sign sense), so a case cannot buy an allowance rounding does
 * not explain. Why R: kernel and baseline each round their output to p; computed from float32 and
 * float64 values that differ in the last bits, they can land on neighbouring representable values.
 * Below p's smallest normal that last bit is absolute, z_p/2 (float16: 2^-25; seen: flash fp16 dk of
 * 5.5e-6 from terms of 7e-6, off by exactly 2^-25 as the baseline was, 1.10x without it), so R
 * charges u_p·max|ref_t| + z_p/2 (written R · u_p · max|ref_t| above).
 * Why G: the contract fixes what is rounded, not the algorithm around it. FlashAttention-2 rounds
 * the unnormalised P~ and its backward takes D_i = rowsum(dO_i∘O_i) from the rounded output
 * (Algorithm 2), where the baseline sums P∘dP exactly; both are compliant and differ by one
 * rounding of the terms (seen: flash bf16 dq = -3.3e-5 where the exact and the baseline's are 0,
 * the terms being 8.5e-3). The terms of dq and dk are therefore taken before the cancellation
 * dS = P∘dP - P∘D (src/reference/termScales.ts).
 *
 * Why E, apart from F: softmax ignores a common offset of a row's logits, float32 does not. A logit
 * s = scale·q·k of size |s| rounds at least twice at that size (the dot product's last addition and
 * the multiplication by scale, or the scale folded into q), each an absolute error of at most u_32·|s|,
 * and exp turns an absolute error δ_j of a logit into a relative error δ_j of its weight; normalising
 * subtracts the weights' mean error, so a weight P_j carries a relative error
 *
 *   ε_j = δ_j - Σ_k P_k δ_k,    |ε_j| <= 2·2·u_32·L = 4·u_32·L
 *
 * and a tensor summing the terms t_j = P_j·V_j (or P_j·dO, ...) is off by Σ_j ε_j·t_j, whose size, the
 * ε_j having random signs, is that bound times the norm of its terms: E = 4 (two roundings, times 2
 * for the normalisation), where folding L into F's factor gave 1.5. This is the whole error on rows
 * whose logits share an offset of 1e5 (src/data 'offset' values: u_32·L = 6e-3, every other term is a
 * few u_32): a textbook kernel (masked softmax, then P·V) computes its logits as the contract allows,
 * yet its float32 softmax of s - 1e5 is off by up to 6e-3 relative. Measured over 2000 such float32
 * cases (eager, sdpa, flash, textbook), error / (u_32·L·N_t) reached 1.64 (out) and 1.96 (flash dv):
 * past 1.5 (seen: a textbook dv MISMATCH 0.3% over its allowance after 32401 cases of `check --seed
 * 1`), and half of E, the safety factor of 2 the other constants keep over their measured worst.
 *
 * The constants are measured by bench/calibrate-oracle.ts (tightness: the largest error/allowed of
 * the correct built-in kernels over 10^5 default cases per precision) and bench/oracle-power.ts
 * (power: the share of informative cases in which a deliberately perturbed kernel is flagged); the
 * tables are in docs/oracle.md.
 */
import {
  type AttentionTensorName,
  type LoraTensorName,
  type Precision,
  UNDERFLOW,
  UNIT_ROUNDOFF,
} from '../contract/index.js';

/** The constants of the error model for one tensor (see the header). */
export interface ErrorModel {
  /** K: how many times the baseline's (capped) error a kernel may make. */
  readonly K: number;
  /** C: the cap on the baseline's error, in units of u_p·N. */
  readonly C: number;
  /** R: units of roundoff of the tensor's magnitude always allowed (output rounding). */
  readonly R: number;
  /** G: units of roundoff of the terms always allowed (rounding a compliant algorithm places elsewhere). */
  readonly G: number;
  /** F: units of float32 roundoff of the terms per unit of (1 + √n). */
  readonly F: number;
  /** E: units of float32 roundoff of the terms per unit of L, the largest |logit| (a logit's rounding, through exp). */
  readonly E: number;
  /** Z: underflow steps allowed per unit of the factors' mass. */
  readonly Z: number;
}

/** What the error model is evaluated on, for one tensor. */
export interface ErrorScales {
  /** N: the size of the terms the tensor sums (attention: their norm; LoRA: the sum of their magnitudes). */
  readonly terms: number;
  /** M: the mass of the factors a weight multiplies (underflow). */
  readonly mass: number;
  /** L: the largest |logit| (0 where there is no softmax). */
  readonly logit: number;
  /** n: the longest sum. */
  readonly keys: number;
  /**
   * The length of the sum that normalises every term of an element alike (softmax's denominator:
   * Sk for out and dq, 0 for dk and dv, whose terms come from rows each normalised on its own).
   */
  readonly normalised?: number;
}

/**
 * Calibrated on 10^4 default cases per precision (eager, sdpa, flash; bench/calibrate-oracle.ts):
 * the largest error/allowed is then 0.33-0.64 per precision and tensor (seed 1); with these
 * constants, seed 2: float32 0.35-0.57, bfloat16 0.52-0.65, float16 0.55-0.61 (over out, dq, dk,
 * dv), no false alarm, and `check --precision P --time 600` clean for every built-in (eager and
 * sdpa 47k-72k cases, flash 19k-25k). dq and dk need G = 1: FlashAttention-2 takes D_i from the
 * rounded output, an error of u·N independent of the baseline's.
 * So does out: flash rounds the unnormalised P~, not P, so its rounding errors are a draw
 * independent of the baseline's, of standard deviation u·N/√3; where the tensor is one element (no
 * max over elements to even the two draws out) and the baseline's draw is small, K·e_base does not
 * cover it. Seen with G = 0.5: `check --kernel flash --precision bfloat16` failed after 8753 cases
 * on one query, 81 keys, D = Dv = 1 (out off by 1.06 u·N, the baseline by 0.08 u·N: 1.30x); over
 * 1500 such cases 4 failed (largest 1.12x), none with G = 1 (largest 0.71x; 0.81x over 5000 more).
 */
export const ATTENTION_MODEL: Record<AttentionTensorName, ErrorModel> = {
  out: { K: 1.5, C: 4, R: 1, G: 1, F: 1.5, E: 4, Z: 2 },
  dq: { K: 1.5, C: 4, R: 1, G: 1, F: 1.5, E: 4, Z: 2 },
  dk: { K: 1.5, C: 4, R: 1, G: 1, F: 1.5, E: 4, Z: 2 },
  dv: { K: 1.5, C: 4, R: 1, G: 0.5, F: 1.5, E: 4, Z: 2 },
};

/**
 * LoRA: N is the sum of the magnitudes of the terms (src/oracle/lora.ts `loraScales`), a bound
 * rather than a norm; G covers the merged form, which rounds the stored weight W0 + s·B·A where the
 * contract's baseline rounds the activation h (huggingface/peft#1388's drift, within rounding).
 * E = 0: no softmax, no logits.
 */
export const LORA_MODEL: Record<LoraTensorName, ErrorModel> = {
  y: { K: 2, C: 4, R: 2, G: 1, F: 4, E: 0, Z: 2 },
  dx: { K: 2, C: 4, R: 2, G: 1, F: 4, E: 0, Z: 2 },
  dA: { K: 2, C: 4, R: 2, G: 1, F: 4, E: 0, Z: 2 },
  dB: { K: 2, C: 4, R: 2, G: 1, F: 4, E: 0, Z: 2 },
};

/**
 * How many roundings at size L a logit s = scale·q·k of head dim D carries: the multiplication by
 * scale, and a float32 sum of D products, whose additions all round at size |s| when one product
 * dominates (a random walk: √D of them), (1 + √D) in all, against the two of a sum whose partial sums
 * grow only towards |s|. E counts two, so the logit scale is L·(1 + √D)/2. Seen with two:
 * PyTorch 1.13's float32 SDPA (q·scale, then a sequential matmul) off by 1.03x its allowance on out,
 * Sq = 1, Sk = 95, D = 59, 'rising' logits (one product per logit dominates); tfjs's blocked sums stay
 * within two.
 */
export function logitRoundings(D: number): number {
  return (1 + Math.sqrt(D)) / 2;
}

/** The allowance of one tensor: its floor (without the baseline) and the full rule given e_base. */
export function allowanceOf(model: ErrorModel, precision: Precision, magnitude: number, e: ErrorScales) {
  const u = UNIT_ROUNDOFF[precision];
  const floor =
    model.R * (u * magnitude + UNDERFLOW[precision] / 2) +
    model.G * u * e.terms +
    model.F * UNIT_ROUNDOFF.float32 * (1 + Math.sqrt(e.keys)) * e.terms +
    model.E * UNIT_ROUNDOFF.float32 * e.logit * e.terms +
    model.F * UNIT_ROUNDOFF.float32 * Math.sqrt(e.normalised ?? 0) * magnitude +
    model.Z * UNDERFLOW[precision] * e.mass;
  const cap = model.C * u * e.terms;
  return { floor, cap, allowed: (baselineError: number | null) => model.K * Math.min(baselineError ?? 0, cap) + floor };
}

/**
 * The size, in units of u_p, of what rounding at p and float32 arithmetic can do to a tensor:
 * N · (1 + (u_32 / u_p) · (1 + L + √n)). Two runs of correct kernels (two tilings, two layouts)
 * differ by a few of these units; the metamorphic properties compare within n·u_p of it.
 */
export function roundingScale(precision: Precision, e: Omit<ErrorScales, 'mass'>): number {
  const ratio = UNIT_ROUNDOFF.float32 / UNIT_ROUNDOFF[precision];
  return e.terms * (1 + ratio * (1 + e.logit + Math.sqrt(e.keys)));
}
