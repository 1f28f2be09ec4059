/**
 * How the tensors of the score options are judged, beside out, dq, dk, dv (attention.ts):
 *
 *   lse     forward, judged when the kernel returns one. It is float32 arithmetic in every
 *           precision (the inputs arrive rounded, the contract rounds no intermediate of it):
 *             allowed = F_lse · u_32 · (1 + L + √n + max|lse|)
 *           An lse in base 2 (lse·log2 e) is off by 0.44·|lse|. Rows with no visible key (-inf in
 *           the reference) are not judged, as no non-finite reference value is (judge.ts).
 *   dbias   backward, the error model of dq (tolerance.ts) with its own terms N and mass M
 *   dsinks  backward, likewise; its longest sum runs over B·Sq rows           (src/reference termScales.ts)
 */
import {
  type AttentionResult,
  type AttentionShapes,
  type HostTensor,
  maxAbs,
  type Precision,
  UNIT_ROUNDOFF,
} from '../contract/index.js';
import type { TensorSpec } from './judge.js';
import { ATTENTION_MODEL, allowanceOf } from './tolerance.js';

/** Units of float32 roundoff of (1 + L + √n + max|lse|) an lse may be off by. */
export const LSE_F = 3;

export interface ScoreErrorScales {
  readonly terms: { readonly dbias?: number; readonly dsinks?: number };
  readonly mass: { readonly dbias?: number; readonly dsinks?: number };
  readonly logit: number;
}

/** The specs of lse (optional: only a kernel that returns it), dbias and dsinks (when the reference has them). */
export function scoreOptionSpecs(
  m: { readonly shapes: Pick<AttentionShapes, 'B' | 'Sq' | 'Sk'>; readonly options: { readonly precision: Precision } },
  reference: AttentionResult,
  baseline: AttentionResult | null,
  scales: ScoreErrorScales,
): TensorSpec[] {
  const specs: TensorSpec[] = [];
  const { B, Sq, Sk } = m.shapes;
  if (reference.lse !== undefined) {
    const lse = reference.lse;
    const allowed = LSE_F * UNIT_ROUNDOFF.float32 * (1 + scales.logit + Math.sqrt(Sk) + maxAbs(lse));
    specs.push({
      name: 'lse',
      pass: 'forward',
      optional: true,
      expected: lse,
      baseline: null,
      allowance: () => ({ allowed, floor: allowed }),
      axes: ['b', 'h', 'query'],
    });
  }
  const grad = (name: 'dbias' | 'dsinks', expected: HostTensor | undefined, keys: number, axes: readonly string[]) => {
    if (expected === undefined) return;
    const e = { terms: scales.terms[name] ?? 0, mass: scales.mass[name] ?? 0, logit: scales.logit, keys };
    const a = allowanceOf(ATTENTION_MODEL.dq, m.options.precision, maxAbs(expected), e);
    specs.push({
      name,
      pass: 'backward',
      expected,
      baseline: baseline?.[name] ?? null,
      allowance: (baselineError: number | null) => ({ allowed: a.allowed(baselineError), floor: a.floor }),
      axes,
    });
  };
  grad('dbias', reference.dbias, Sk, ['b', 'h', 'query', 'key']);
  grad('dsinks', reference.dsinks, Math.max(Sk, B * Sq), ['h']);
  return specs;
}
