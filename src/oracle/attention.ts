/**
 * How the attention tensors are judged: out (forward), dq, dk, dv (backward) against the float64
 * reference, with the error model of tolerance.ts (the same-precision baseline's capped error,
 * the output's last bit, float32 arithmetic on the terms).
 */
import {
  ATTENTION_TENSORS,
  maxAbs,
  type AttentionResult,
  type AttentionShapes,
  type AttentionTensorName,
  type HostTensor,
  type Precision,
} from '../contract/index.js';
import type { TensorSpec } from './judge.js';
import { attentionAllowance, type ErrorScales } from './tolerance.js';

export const ATTENTION_AXES: Record<AttentionTensorName, readonly string[]> = {
  out: ['b', 'h', 'query', 'dim'],
  dq: ['b', 'h', 'query', 'dim'],
  dk: ['b', 'h', 'key', 'dim'],
  dv: ['b', 'h', 'key', 'dim'],
};

/** The attention result as named tensors, for the judge and cross-backend comparisons. */
export function attentionTensors(r: AttentionResult): Map<string, HostTensor> {
  return new Map(ATTENTION_TENSORS.map((t) => [t, r[t]]));
}

/** The judge's specs for one attention case: reference, same-precision baseline, error scales. */
export function attentionSpecs(
  m: { readonly shapes: Pick<AttentionShapes, 'Sk'>; readonly options: { readonly precision: Precision } },
  reference: AttentionResult,
  baseline: AttentionResult | null,
  scales: Omit<ErrorScales, 'keys'>,
): TensorSpec[] {
  return ATTENTION_TENSORS.map((t) => {
    const a = attentionAllowance(t, m.options.precision, maxAbs(reference[t]), { ...scales, keys: m.shapes.Sk });
    return {
      name: t,
      pass: t === 'out' ? 'forward' : 'backward',
      expected: reference[t],
      baseline: baseline ? baseline[t] : null,
      allowance: (baselineError: number | null) => ({ allowed: a.allowed(baselineError), floor: a.floor }),
      axes: ATTENTION_AXES[t],
    };
  });
}
