/**
 * The training oracle: the judge's specs for a training case through one attention implementation,
 * in report order:
 *
 *   vs the float64 reference, step 1:   logits, loss, dA/dB of every adapter, frozen weights
 *                                       unchanged, A/B after the AdamW step
 *   vs a baseline implementation:       A/B after each step t = 2..T, the loss at every step
 *
 * Each tensor's allowance: allowance.ts (in bfloat16 / float16, step 1 against the same-precision
 * baseline's error on the whole network's scale). Later steps have no float64 reference: a
 * parameter's allowance follows from its gradient's through one AdamW step, and the loss of step t
 * from the allowances of the parameters it is computed at (`lossDrift`).
 *
 * Logits are judged at token positions only: what a padded query row computes is not part of the
 * model's meaning (transformers' eager gives it uniform weights, flash never computes it).
 */
import { UNIT_ROUNDOFF } from '../contract/index.js';
import { maxAbs, type TensorSpec, worstDiff } from '../oracle/index.js';
import { allowance, allowedOf, gradientScale, maxAbsWeighted, spec } from './allowance.js';
import type { MaterialisedTraining } from './case.js';
import type { StepRecord, TrainingRun } from './model/index.js';
import { scalar, sites, type TrainingExpectation } from './run.js';
import { EXACT, forwardTolerance, gradientTolerance, parameterTolerance } from './tolerance.js';

/** 1 at the logits of token positions, 0 at padding (see the header). */
function tokenWeight(m: MaterialisedTraining): Uint8Array {
  const V = m.spec.config.vocab;
  const w = new Uint8Array(m.batch.docIds.length * V);
  m.batch.docIds.forEach((d, n) => {
    if (d >= 0) w.fill(1, n * V, n * V + V);
  });
  return w;
}

/**
 * Gradient specs of step t (against `expected`, with the baseline's step when given), then the
 * parameter specs after it. `network`: the float64 step 1's largest gradient anywhere, the size of
 * the terms every later step's gradients sum too (a tfjs run does not say; its LoRA gradients alone
 * can all cancel to ~0, seen: LoRA on k only, B = 0, two 2-token sequences, dB ~ 3e-7 of float32 noise
 * that AdamW turns into lr·g/eps).
 */
function stepSpecs(
  m: MaterialisedTraining,
  expected: StepRecord,
  t: number,
  group: string,
  baseline: StepRecord | null,
  network: number,
  nudged: StepRecord | null = null,
): { grads: TensorSpec[]; params: TensorSpec[]; allowed: Map<string, number> } {
  const grads: TensorSpec[] = [];
  const params: TensorSpec[] = [];
  /** Each parameter's allowed error after the step (by `site.A`), for the loss of the next step. */
  const allowed = new Map<string, number>();
  const precision = m.spec.precision ?? 'float32';
  const u = UNIT_ROUNDOFF[precision];
  const gScale = Math.max(gradientScale(expected), network);
  const gradTol = gradientTolerance(gScale, precision === 'float32' || baseline ? 'float32' : precision);
  for (const site of sites(expected))
    for (const p of ['A', 'B']) {
      const name = `${site}.${p}`;
      const g = expected.grads.get(name)!;
      const gb = baseline?.grads.get(name) ?? null;
      const rg = baseline
        ? {
            u,
            scale: gScale,
            terms: expected.termNorms?.get(name) ?? 0,
            baseline: gb,
            nudged: nudged?.grads.get(name) ?? null,
          }
        : null;
      grads.push(spec(`d${p} ${site}`, 'backward', group, g, gradTol, undefined, rg));
      // The parameter's allowance follows from its gradient's: what that error does through one AdamW step.
      const gradAllowed = allowance(allowedOf(gradTol, g), rg)(gb ? worstDiff(gb, g).error : null).allowed;
      const param = expected.params.get(name)!;
      const pb = baseline?.params.get(name) ?? null;
      const rp = baseline ? { u, scale: maxAbs(param), baseline: pb, nudged: nudged?.params.get(name) ?? null } : null;
      const ps = spec(
        `${p} ${site} step=${t}`,
        'backward',
        group,
        param,
        parameterTolerance(m.spec.adamw, t, gradAllowed, baseline ? 'float32' : precision),
        undefined,
        rp,
      );
      params.push(ps);
      allowed.set(name, ps.allowance(pb ? worstDiff(pb, param).error : null).allowed);
    }
  return { grads, params, allowed };
}

/**
 * The loss of step t is computed at the parameters after step t - 1, which may each be off by
 * their allowance δθ (AdamW turns the rounding noise of a gradient near 0 into a step of up to
 * 2·lr: parameterTolerance). To first order that moves the loss by at most Σ_θ δθ·‖∂L/∂θ‖₁, the
 * gradient being the baseline run's at step t. Seen: float16 flash steps whose loss at step 2 or
 * 3 differed from eager's by 0.031-0.034 against 0.021-0.032 allowed, their parameters passing.
 * Low precision only: in float32 implementations stay at 0.001-0.003 of their parameter
 * allowances, and a bound built from those would only blunt the loss check (calibrate-training,
 * 200 cases: loss step>1 at 0.015 of its allowance, 0.002 with the bound).
 */
function lossDrift(step: StepRecord, allowedBefore: ReadonlyMap<string, number>): number {
  let drift = 0;
  for (const [name, delta] of allowedBefore) {
    const g = step.grads.get(name);
    if (g) for (let n = 0; n < g.data.length; n++) drift += delta * Math.abs(g.data[n]!);
  }
  return drift;
}

/**
 * The judge's specs: step 1 against the float64 reference, the trajectory against `baseline`
 * (another implementation's run of the same case; left out when it failed).
 */
export function trainingSpecs(
  m: MaterialisedTraining,
  subject: string,
  expectation: TrainingExpectation,
  baseline: TrainingRun | null,
): TensorSpec[] {
  const { reference, baseline: rounded, nudged } = expectation;
  const g1 = `${subject} vs float64 reference, step 1`;
  const precision = m.spec.precision ?? 'float32';
  const u = UNIT_ROUNDOFF[precision];
  const f32 = forwardTolerance('float32');
  const weight = tokenWeight(m);
  const rLogits = rounded
    ? {
        u,
        scale: maxAbsWeighted(reference.logits, weight),
        baseline: rounded.logits,
        nudged: nudged?.logits ?? null,
        ...(weight ? { weight } : {}),
      }
    : null;
  const rLoss = rounded
    ? {
        u,
        scale: Math.abs(reference.loss),
        baseline: scalar(rounded.loss),
        nudged: nudged ? scalar(nudged.loss) : null,
      }
    : null;
  const out: TensorSpec[] = [
    spec('logits', 'forward', g1, reference.logits, rounded ? f32 : forwardTolerance(precision), weight, rLogits),
    spec('loss', 'forward', g1, scalar(reference.loss), rounded ? f32 : forwardTolerance(precision), undefined, rLoss),
  ];
  const network = gradientScale(reference);
  const s1 = stepSpecs(m, reference, 1, g1, rounded, network, nudged);
  out.push(...s1.grads);
  for (const [name, t] of m.init.frozen)
    out.push(spec(`frozen ${name}`, 'backward', g1, { shape: t.shape, data: t.data.map(Math.fround) }, EXACT));
  out.push(...s1.params);
  if (baseline === null) return out;
  const fwd = forwardTolerance(precision);
  const g2 = `${subject} vs ${baseline.implementation}, steps 1..${baseline.steps.length}`;
  // allowedAfter[t - 1]: every parameter's allowance after step t (step 1's against the float64 reference).
  const allowedAfter = [s1.allowed];
  for (let t = 2; t <= baseline.steps.length; t++) {
    const st = stepSpecs(m, baseline.steps[t - 1]!, t, g2, null, network);
    out.push(...st.params);
    allowedAfter.push(st.allowed);
  }
  baseline.steps.forEach((s, i) => {
    const drift = i === 0 || precision === 'float32' ? 0 : lossDrift(s, allowedAfter[i - 1]!);
    out.push(spec(`loss step=${i + 1}`, 'forward', g2, scalar(s.loss), { rel: fwd.rel, abs: fwd.abs + drift }));
  });
  return out;
}
