/**
 * How the attention tensors are judged: out (forward), dq, dk, dv (backward) against the float64
 * reference, with the error model of tolerance.ts (the same-precision baseline's capped error,
 * the output's last bit, float32 arithmetic on the terms).
 */
import {
  ATTENTION_TENSORS,
  type AttentionResult,
  type AttentionShapes,
  type AttentionTensorName,
  type HostTensor,
  maxAbs,
  OPTIONAL_ATTENTION_TENSORS,
  type Precision,
} from '../contract/index.js';
import type { TensorSpec } from './judge.js';
import { type ScoreErrorScales, scoreOptionSpecs } from './scoreOptions.js';
import { ATTENTION_MODEL, allowanceOf, type ErrorScales, logitRoundings } from './tolerance.js';

/** The error scales of a case (src/reference termScales.ts): per tensor N_t and M_t, and L. */
export interface AttentionErrorScales {
  readonly terms: Record<AttentionTensorName, number> & ScoreErrorScales['terms'];
  readonly mass: Record<AttentionTensorName, number> & ScoreErrorScales['mass'];
  readonly logit: number;
}

export const ATTENTION_AXES: Record<AttentionTensorName, readonly string[]> = {
  out: ['b', 'h', 'query', 'dim'],
  dq: ['b', 'h', 'query', 'dim'],
  dk: ['b', 'h', 'key', 'dim'],
  dv: ['b', 'h', 'key', 'dim'],
};

/**
 * The attention result as named tensors (lse, dbias, dsinks too when it has them), for the judge and cross-backend
 * comparisons.
 */
export function attentionTensors(r: AttentionResult): Map<string, HostTensor> {
  const m = new Map<string, HostTensor>(ATTENTION_TENSORS.map((t) => [t, r[t]]));
  for (const t of OPTIONAL_ATTENTION_TENSORS) if (r[t] !== undefined) m.set(t, r[t]);
  return m;
}

/**
 * n of the error model: the longest float32 sum behind tensor t. out and dq sum over the Sk keys;
 * dk and dv over every query row of their kv group, Sq · Hq/Hkv of them (and through P over the keys
 * too). Seen with n = Sk for all: PyTorch's float32 dv of Sq = 65 rows and one key off by 8.0e-6
 * against 5.3e-6 allowed (a correct sum of 65 terms).
 */
export function longestSum(t: AttentionTensorName, s: Pick<AttentionShapes, 'Hq' | 'Hkv' | 'Sq' | 'Sk'>): number {
  return t === 'dk' || t === 'dv' ? Math.max(s.Sk, (s.Sq * s.Hq) / s.Hkv) : s.Sk;
}

/** The judge's specs for one attention case: reference, same-precision baseline, error scales. */
export function attentionSpecs(
  m: {
    readonly shapes: Pick<AttentionShapes, 'B' | 'Hq' | 'Hkv' | 'Sq' | 'Sk' | 'D'>;
    readonly options: { readonly precision: Precision };
  },
  reference: AttentionResult,
  baseline: AttentionResult | null,
  scales: AttentionErrorScales,
): TensorSpec[] {
  // The logit's rounding grows with the head dim of its dot product (tolerance.ts logitRoundings).
  const logit = scales.logit * logitRoundings(m.shapes.D);
  const core = ATTENTION_TENSORS.map((t) =>
    attentionTensorSpec(t, m.options.precision, reference[t], baseline ? baseline[t] : null, {
      terms: scales.terms[t],
      mass: scales.mass[t],
      logit,
      keys: longestSum(t, m.shapes),
      normalised: t === 'out' || t === 'dq' ? m.shapes.Sk : 0,
    }),
  );
  return [...core, ...scoreOptionSpecs(m, reference, baseline, { ...scales, logit })];
}

/**
 * How one attention tensor t is judged in precision p: against `expected`, with the error model's
 * allowance (tolerance.ts) given the baseline's error and the scales `e`. KV-cache decode judges
 * its out with it too (src/runner/suites/decode.ts): the same contract, the same rounding points.
 */
export function attentionTensorSpec(
  t: AttentionTensorName,
  precision: Precision,
  expected: HostTensor,
  baseline: HostTensor | null,
  e: ErrorScales,
): TensorSpec {
  const a = allowanceOf(ATTENTION_MODEL[t], precision, maxAbs(expected), e);
  return {
    name: t,
    pass: t === 'out' ? 'forward' : 'backward',
    expected,
    baseline,
    allowance: (baselineError: number | null) => ({ allowed: a.allowed(baselineError), floor: a.floor }),
    axes: ATTENTION_AXES[t],
  };
}
