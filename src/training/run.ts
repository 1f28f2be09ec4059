/**
 * Runs a training case through attention implementations and compares them tensor by tensor by
 * name, in this order:
 *
 *   vs the float64 reference, step 1:   logits, loss, dA/dB of every adapter, frozen weights
 *                                       unchanged, A/B after the AdamW step
 *   vs a baseline implementation:       A/B after each step t = 2..T, the loss at every step
 *
 * Logits are compared at token positions only: what a padded query row computes is not part of
 * the model's meaning (transformers' eager gives it uniform weights, flash never computes it).
 */
import { tf } from '../backend/index.js';
import type { HostTensor } from '../contract/index.js';
import {
  implementationName,
  referenceFirstStep,
  trainTf,
  type AttentionImplementation,
  type StepRecord,
  type TrainingRun,
} from '../../kernels/model/index.js';
import { checkTensor, scalarTensor, type TensorCheck } from './compare.js';
import { materialise, type MaterialisedCase, type TrainingCase } from './case.js';
import { EXACT, FORWARD_TOLERANCE, gradientTolerance, parameterTolerance } from './tolerance.js';

export interface TrainingSection {
  /** e.g. `sdpa vs float64 reference, step 1`. */
  readonly title: string;
  readonly checks: readonly TensorCheck[];
}

export interface TrainingReport {
  readonly implementation: string;
  readonly sections: readonly TrainingSection[];
  readonly ok: boolean;
  /** The first failing check in report order, or null. */
  readonly firstFailure: TensorCheck | null;
}

/** Site names (`layers.0.q`) of the trainable parameters, in order. */
function sites(step: StepRecord): string[] {
  return [...new Set([...step.grads.keys()].map((n) => n.slice(0, n.lastIndexOf('.'))))];
}

function tokenWeight(m: MaterialisedCase, V: number): Uint8Array {
  const w = new Uint8Array(m.batch.docIds.length * V);
  m.batch.docIds.forEach((d, n) => d >= 0 && w.fill(1, n * V, n * V + V));
  return w;
}

/** The largest |gradient| over every trainable tensor of a step. */
function gradientScale(step: StepRecord): number {
  let m = 0;
  for (const g of step.grads.values()) for (const x of g.data) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x));
  return m;
}

/** Gradient checks, then the parameters after step t, of `actual` against `expected`. */
function stepChecks(m: MaterialisedCase, actual: StepRecord, expected: StepRecord, t: number): { grads: TensorCheck[]; params: TensorCheck[] } {
  const grads: TensorCheck[] = [];
  const params: TensorCheck[] = [];
  const scale = gradientScale(expected);
  for (const site of sites(expected))
    for (const p of ['A', 'B']) {
      const name = `${site}.${p}`;
      const g = checkTensor(`d${p} ${site}`, actual.grads.get(name)!, expected.grads.get(name)!, gradientTolerance(scale));
      grads.push(g);
      const tol = parameterTolerance(m.spec.adamw, t, g.allowed);
      params.push(checkTensor(`${p} ${site} step=${t}`, actual.params.get(name)!, expected.params.get(name)!, tol));
    }
  return { grads, params };
}

function threw(impl: string, e: unknown): TrainingReport {
  const check: TensorCheck = { label: `threw ${(e as Error).message ?? String(e)}`, ok: false, maxAbs: Infinity, allowed: 0, at: [] };
  return { implementation: impl, sections: [{ title: `${impl} threw`, checks: [check] }], ok: false, firstFailure: check };
}

function report(implementation: string, sections: TrainingSection[]): TrainingReport {
  const firstFailure = sections.flatMap((s) => s.checks).find((c) => !c.ok) ?? null;
  return { implementation, sections, ok: firstFailure === null, firstFailure };
}

/** The reference section for one run. */
function referenceSection(m: MaterialisedCase, run: TrainingRun, ref: StepRecord): TrainingSection {
  const s1 = run.steps[0]!;
  const V = m.spec.config.vocab;
  const checks: TensorCheck[] = [
    checkTensor('logits', s1.logits, ref.logits, FORWARD_TOLERANCE, tokenWeight(m, V)),
    checkTensor('loss', scalarTensor(s1.loss), scalarTensor(ref.loss), FORWARD_TOLERANCE),
  ];
  const step = stepChecks(m, s1, ref, 1);
  checks.push(...step.grads);
  for (const [name, t] of m.init.frozen) {
    const expected: HostTensor = { shape: t.shape, data: t.data.map(Math.fround) };
    checks.push(checkTensor(`frozen ${name}`, run.frozenAfter.get(name)!, expected, EXACT));
  }
  checks.push(...step.params);
  return { title: `${run.implementation} vs float64 reference, step 1`, checks };
}

/** Parameters after steps 2..T and the loss at every step, against a baseline run. */
function trajectorySection(m: MaterialisedCase, run: TrainingRun, base: TrainingRun): TrainingSection {
  const checks: TensorCheck[] = [];
  for (let t = 2; t <= run.steps.length; t++) checks.push(...stepChecks(m, run.steps[t - 1]!, base.steps[t - 1]!, t).params);
  run.steps.forEach((s, i) => checks.push(checkTensor(`loss step=${i + 1}`, scalarTensor(s.loss), scalarTensor(base.steps[i]!.loss), FORWARD_TOLERANCE)));
  return { title: `${run.implementation} vs ${base.implementation}, steps 1..${run.steps.length}`, checks };
}

function tryTrain(m: MaterialisedCase, impl: AttentionImplementation): TrainingRun | Error {
  try {
    return trainTf(tf, m.spec, m.init, m.batch, impl);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * One report per subject. `baseline` supplies the T-step trajectory (default eager; a subject that
 * is the baseline is compared with sdpa instead).
 */
export function checkTrainingCase(c: TrainingCase, subjects: readonly AttentionImplementation[], baseline: AttentionImplementation = 'eager'): TrainingReport[] {
  const m = materialise(c);
  const ref = referenceFirstStep(m.spec, m.init, m.batch);
  const baseRuns = new Map<string, TrainingRun | Error>();
  const runOf = (impl: AttentionImplementation) => {
    const name = implementationName(impl);
    if (!baseRuns.has(name)) baseRuns.set(name, tryTrain(m, impl));
    return baseRuns.get(name)!;
  };
  return subjects.map((subject) => {
    const name = implementationName(subject);
    const run = runOf(subject);
    if (run instanceof Error) return threw(name, run);
    const sections = [referenceSection(m, run, ref)];
    const baseImpl = name === implementationName(baseline) ? (name === 'sdpa' ? 'eager' : 'sdpa') : baseline;
    const base = runOf(baseImpl);
    if (!(base instanceof Error)) sections.push(trajectorySection(m, run, base));
    return report(name, sections);
  });
}
