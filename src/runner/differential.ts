/**
 * The differential check of one case: materialise it, run the float64 reference, the same-precision
 * baseline and the kernel under test (in the case's layout), and let the oracle judge.
 *
 *   reference   kernels/reference, float64, on exactly the rounded inputs the kernels see
 *   baseline    eager (sdpa for eager itself), same precision, contract layout (see kernels.ts)
 *   kernel      in the case's layout, forward + gradients of sum(out ∘ dOut)
 */
import { referenceAttention } from '../../kernels/reference/index.js';
import type { AttentionCase } from '../case/index.js';
import type { AttentionResult } from '../contract/index.js';
import { materializeAttention } from '../data/index.js';
import type { AttentionKernel } from '../kernel/index.js';
import { judgeAttention, naturalScales, type Verdict } from '../oracle/index.js';
import { baselineFor, type KernelUnderTest } from './kernels.js';
import { runKernel, type KernelOutcome, type Material } from './run.js';

export interface CaseCheck {
  readonly case: AttentionCase;
  readonly kernel: string;
  readonly verdict: Verdict;
  readonly material: Material;
  readonly reference: AttentionResult;
  /** The kernel's result when it ran (for reports and heatmaps). */
  readonly result: AttentionResult | null;
  readonly baseline: KernelOutcome;
}

/** Judges an outcome of the kernel against the reference and the baseline. */
export function judgeOutcome(outcome: KernelOutcome, reference: AttentionResult, baseline: KernelOutcome, m: Material): Verdict {
  if (outcome.status !== 'ok') return outcome;
  return judgeAttention({
    kernel: outcome.result,
    reference,
    baseline: baseline.status === 'ok' ? baseline.result : null,
    precision: m.options.precision,
    scales: naturalScales(m.inputs, m.shapes, m.options.scale, m.options.dropout?.p ?? 0),
  });
}

/** One case through one kernel, judged. `baseline` overrides the default yardstick (tests). */
export function checkCase(c: AttentionCase, k: KernelUnderTest, opts: { baseline?: AttentionKernel } = {}): CaseCheck {
  const material = materializeAttention(c);
  const reference = referenceAttention(material.inputs, material.options);
  const kernel = k.forCase(c);
  const outcome = runKernel(kernel, material, c.layout, c.view);
  // An unsupported case needs no baseline: skip its cost.
  const baseline: KernelOutcome =
    outcome.status === 'unsupported' ? { status: 'unsupported', reason: 'not needed' } : runKernel(opts.baseline ?? baselineFor(k), material);
  return {
    case: c,
    kernel: k.label,
    verdict: judgeOutcome(outcome, reference, baseline, material),
    material,
    reference,
    result: outcome.status === 'ok' ? outcome.result : null,
    baseline,
  };
}
