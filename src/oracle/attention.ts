/**
 * How the attention tensors are judged: out (forward), dq, dk, dv (backward) against the float64
 * reference, each allowed k_t times the same-precision baseline's error plus a floor of roundoff
 * of its natural magnitude (tolerance.ts explains and measures both).
 */
import {
  ATTENTION_TENSORS,
  maxAbs,
  type AttentionInputs,
  type AttentionOptions,
  type AttentionResult,
  type AttentionShapes,
  type AttentionTensorName,
  type HostTensor,
} from '../contract/index.js';
import type { TensorSpec } from './judge.js';
import { allowedError, floorFor, naturalScales } from './tolerance.js';

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

/** The judge's specs for one attention case. */
export function attentionSpecs(
  m: { readonly shapes: AttentionShapes; readonly options: AttentionOptions; readonly inputs: AttentionInputs },
  reference: AttentionResult,
  baseline: AttentionResult | null,
): TensorSpec[] {
  const natural = naturalScales(m.inputs, m.shapes, m.options.scale, m.options.dropout?.p ?? 0);
  return ATTENTION_TENSORS.map((t) => {
    const floor = floorFor(m.options.precision, Math.max(maxAbs(reference[t]), natural[t]));
    return {
      name: t,
      pass: t === 'out' ? 'forward' : 'backward',
      expected: reference[t],
      baseline: baseline ? baseline[t] : null,
      allowance: (baselineError: number | null) => ({ allowed: allowedError(t, baselineError, floor), floor }),
      axes: ATTENTION_AXES[t],
    };
  });
}
