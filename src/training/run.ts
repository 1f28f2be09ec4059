/**
 * A training case through one attention implementation: the tfjs run of its steps, the float64
 * reference's first step (and in bfloat16 / float16 the same-precision baseline's, along two
 * rounding paths: allowance.ts says why), and a run's tensors by the names the report uses:
 *
 *   logits, loss                         step 1
 *   dA <site>, dB <site>                 step 1's LoRA gradients
 *   frozen <name>                        the frozen weights after the steps
 *   A <site> step=t, B <site> step=t     the adapters after each step t
 *   loss step=t                          the loss at every step
 *
 * How each is judged: oracle.ts.
 */
import { type HostTensor, roundTo, type TF, UNIT_ROUNDOFF } from '../contract/index.js';
import type { MaterialisedTraining } from './case.js';
import { type ModelKernels, referenceFirstStep, type StepRecord, type TrainingRun, trainTf } from './model/index.js';

/** Runs the case's steps in tfjs with `kernels` (see model/train.ts). */
export function runTraining(tf: TF, m: MaterialisedTraining, kernels: ModelKernels): TrainingRun {
  return trainTf(tf, m.spec, m.init, m.batch, kernels);
}

/**
 * The float64 reference's first step, and in bfloat16 / float16 the same-precision baseline's along two
 * rounding paths.
 */
export interface TrainingExpectation {
  readonly reference: StepRecord;
  readonly baseline: StepRecord | null;
  /** The baseline with each rounding nudged by u/2 up and down in turn (see the header). */
  readonly nudged: StepRecord | null;
}

export function trainingReference(m: MaterialisedTraining): TrainingExpectation {
  const p = m.spec.precision ?? 'float32';
  if (p === 'float32') return { reference: referenceFirstStep(m.spec, m.init, m.batch), baseline: null, nudged: null };
  const u = UNIT_ROUNDOFF[p];
  let n = 0;
  return {
    reference: referenceFirstStep(m.spec, m.init, m.batch),
    baseline: referenceFirstStep(m.spec, m.init, m.batch, (x) => roundTo(p, x)),
    nudged: referenceFirstStep(m.spec, m.init, m.batch, (x) => roundTo(p, x * (1 + (n++ % 2 === 0 ? -u : u) / 2))),
  };
}

/** A number as a rank-0 tensor (the loss). */
export const scalar = (x: number): HostTensor => ({ shape: [], data: Float64Array.of(x) });

/** Site names (`layers.0.q`) of the trainable parameters, in order. */
export function sites(step: StepRecord): string[] {
  return [...new Set([...step.grads.keys()].map((n) => n.slice(0, n.lastIndexOf('.'))))];
}

/** Every tensor of a run by its report name. */
export function trainingTensors(run: TrainingRun): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  const s1 = run.steps[0]!;
  out.set('logits', s1.logits);
  out.set('loss', scalar(s1.loss));
  for (const site of sites(s1)) for (const p of ['A', 'B']) out.set(`d${p} ${site}`, s1.grads.get(`${site}.${p}`)!);
  for (const [name, t] of run.frozenAfter) out.set(`frozen ${name}`, t);
  run.steps.forEach((s, i) => {
    for (const site of sites(s))
      for (const p of ['A', 'B']) out.set(`${p} ${site} step=${i + 1}`, s.params.get(`${site}.${p}`)!);
    out.set(`loss step=${i + 1}`, scalar(s.loss));
  });
  return out;
}
