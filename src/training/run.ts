/**
 * A training case through one attention implementation, as named tensors for the oracle's judge,
 * in report order:
 *
 *   vs the float64 reference, step 1:   logits, loss, dA/dB of every adapter, frozen weights
 *                                       unchanged, A/B after the AdamW step
 *   vs a baseline implementation:       A/B after each step t = 2..T, the loss at every step
 *
 * Logits are judged at token positions only: what a padded query row computes is not part of the
 * model's meaning (transformers' eager gives it uniform weights, flash never computes it).
 */
import type { HostTensor, TF } from '../contract/index.js';
import { maxAbs, type TensorSpec } from '../oracle/index.js';
import type { MaterialisedTraining } from './case.js';
import { referenceFirstStep, trainTf, type ModelKernels, type StepRecord, type TrainingRun } from './model/index.js';
import { EXACT, forwardTolerance, gradientTolerance, parameterTolerance, type Tolerance } from './tolerance.js';

/** Runs the case's steps in tfjs with `kernels` (see model/train.ts). */
export function runTraining(tf: TF, m: MaterialisedTraining, kernels: ModelKernels): TrainingRun {
  return trainTf(tf, m.spec, m.init, m.batch, kernels);
}

/** The float64 reference's first step. */
export function trainingReference(m: MaterialisedTraining): StepRecord {
  return referenceFirstStep(m.spec, m.init, m.batch);
}

const scalar = (x: number): HostTensor => ({ shape: [], data: Float64Array.of(x) });

/** Site names (`layers.0.q`) of the trainable parameters, in order. */
function sites(step: StepRecord): string[] {
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
    for (const site of sites(s)) for (const p of ['A', 'B']) out.set(`${p} ${site} step=${i + 1}`, s.params.get(`${site}.${p}`)!);
    out.set(`loss step=${i + 1}`, scalar(s.loss));
  });
  return out;
}

function tokenWeight(m: MaterialisedTraining): Uint8Array {
  const V = m.spec.config.vocab;
  const w = new Uint8Array(m.batch.docIds.length * V);
  m.batch.docIds.forEach((d, n) => d >= 0 && w.fill(1, n * V, n * V + V));
  return w;
}

/** The largest |gradient| over every trainable tensor of a step. */
function gradientScale(step: StepRecord): number {
  let m = 0;
  for (const g of step.grads.values()) m = Math.max(m, maxAbs(g));
  return m;
}

/** rel · max|expected| (over the judged elements) + abs. */
function allowedOf(tol: Tolerance, expected: HostTensor, weight?: Uint8Array): number {
  let m = 0;
  expected.data.forEach((x, n) => {
    if ((!weight || weight[n] !== 0) && Number.isFinite(x)) m = Math.max(m, Math.abs(x));
  });
  return tol.rel * m + tol.abs;
}

function spec(name: string, pass: 'forward' | 'backward', group: string, expected: HostTensor, tol: Tolerance, weight?: Uint8Array): TensorSpec {
  const allowed = allowedOf(tol, expected, weight);
  return { name, pass, group, expected, baseline: null, allowance: () => ({ allowed, floor: allowed }), ...(weight ? { weight } : {}) };
}

/** Gradient specs of step t (against `expected`), then the parameter specs after it. */
function stepSpecs(m: MaterialisedTraining, expected: StepRecord, t: number, group: string): { grads: TensorSpec[]; params: TensorSpec[] } {
  const grads: TensorSpec[] = [];
  const params: TensorSpec[] = [];
  const precision = m.spec.precision ?? 'float32';
  const gradTol = gradientTolerance(gradientScale(expected), precision);
  for (const site of sites(expected))
    for (const p of ['A', 'B']) {
      const g = expected.grads.get(`${site}.${p}`)!;
      grads.push(spec(`d${p} ${site}`, 'backward', group, g, gradTol));
      const tol = parameterTolerance(m.spec.adamw, t, allowedOf(gradTol, g), precision);
      params.push(spec(`${p} ${site} step=${t}`, 'backward', group, expected.params.get(`${site}.${p}`)!, tol));
    }
  return { grads, params };
}

/**
 * The judge's specs: step 1 against the float64 reference, the trajectory against `baseline`
 * (another implementation's run of the same case; left out when it failed).
 */
export function trainingSpecs(m: MaterialisedTraining, subject: string, reference: StepRecord, baseline: TrainingRun | null): TensorSpec[] {
  const g1 = `${subject} vs float64 reference, step 1`;
  const fwd = forwardTolerance(m.spec.precision ?? 'float32');
  const out: TensorSpec[] = [
    spec('logits', 'forward', g1, reference.logits, fwd, tokenWeight(m)),
    spec('loss', 'forward', g1, scalar(reference.loss), fwd),
  ];
  const s1 = stepSpecs(m, reference, 1, g1);
  out.push(...s1.grads);
  for (const [name, t] of m.init.frozen) out.push(spec(`frozen ${name}`, 'backward', g1, { shape: t.shape, data: t.data.map(Math.fround) }, EXACT));
  out.push(...s1.params);
  if (baseline === null) return out;
  const g2 = `${subject} vs ${baseline.implementation}, steps 1..${baseline.steps.length}`;
  for (let t = 2; t <= baseline.steps.length; t++) out.push(...stepSpecs(m, baseline.steps[t - 1]!, t, g2).params);
  baseline.steps.forEach((s, i) => out.push(spec(`loss step=${i + 1}`, 'forward', g2, scalar(s.loss), fwd)));
  return out;
}
