/**
 * The engine of the metamorphic suites: a relation is a function from a generated case to `null`
 * (it holds) or a one-line description of what differs. The same relation runs twice in a suite:
 *
 *   holds(cases, relation(builtinKernel))        every generated case satisfies it (fc, shrinking)
 *   failsOn(cases, relation(brokenKernel))       it reports a failure on a kernel broken the way it
 *                                                targets, so it cannot pass vacuously
 *
 * A failing `holds` prints the shrunk case as JSON, what differs, and the replay line
 * (ATTNFUZZ_SEED, fast-check's `{ seed, path }`), as the core's repro does for differential checks.
 *
 * Comparisons (`compareTensors`) measure the norm-wise relative error max|a - b| / max|b| (see
 * src/contract/compare.ts) or demand bit equality; a NaN in one where the other is finite always
 * differs. The report names the worst element by its coordinates.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../../src/backend/index.js';
import { maxAbs, unravel, UNIT_ROUNDOFF, type AttentionResult, type HostTensor, type Precision } from '../../src/contract/index.js';
import { naturalScales, type TensorScales } from '../../src/oracle/index.js';
import type { Material } from '../../src/runner/index.js';
import { fcParams, SEED } from './profile.js';

/** `null`: the relation holds; otherwise what differs, on one line. */
export type Outcome = string | null;

/** A tolerance: bit-identical, or norm-wise relative error at most `rel`. */
export type Tol = 'exact' | { readonly rel: number };

/** `n` units of roundoff of each precision, as a relative tolerance. */
export function ulps(n: number): Record<Precision, Tol> {
  return { float32: { rel: n * UNIT_ROUNDOFF.float32 }, bfloat16: { rel: n * UNIT_ROUNDOFF.bfloat16 }, float16: { rel: n * UNIT_ROUNDOFF.float16 } };
}

/** The natural term scales of a material's tensors (src/oracle), for `compareResults`. */
export function naturalOf(m: Material): TensorScales {
  return naturalScales(m.inputs, m.shapes, m.options.scale, m.options.dropout?.p ?? 0);
}

/** Largest |a - b| with its flat index; Infinity where exactly one side is non-finite or they differ as non-finites. */
function worstDiff(a: HostTensor, b: HostTensor): { diff: number; at: number } {
  let diff = 0;
  let at = -1;
  for (let n = 0; n < b.data.length; n++) {
    const x = a.data[n]!;
    const y = b.data[n]!;
    const d = Number.isFinite(x) && Number.isFinite(y) ? Math.abs(x - y) : Object.is(x, y) ? 0 : Infinity;
    if (d > diff || (at < 0 && d > 0)) {
      diff = d;
      at = n;
    }
  }
  return { diff, at };
}

/**
 * The largest relative error seen per full label, whatever the verdict: how the tolerances in the
 * suites were measured (run a relation over fc.sample(cases) with { rel: 1 } and read this map).
 */
export const measured = new Map<string, number>();

const fmt = (x: number) => (Number.isFinite(x) && x !== 0 ? x.toPrecision(4) : String(x));

/**
 * `label` of `a` against `b`: null if within `tol`. The error is relative to max|b|, or to
 * `natural` when larger: the size of the terms the tensor sums (see src/oracle `naturalScales`),
 * because gradients cancel (dq of near-tied keys is ~0 while its terms are not) and rounding noise
 * is relative to the terms, not to the result.
 */
export function compareTensors(label: string, a: HostTensor, b: HostTensor, tol: Tol, natural = 0): Outcome {
  if (a.shape.length !== b.shape.length || a.shape.some((d, n) => d !== b.shape[n])) {
    return `${label}: shape [${a.shape.join(',')}] vs [${b.shape.join(',')}]`;
  }
  const { diff, at } = worstDiff(a, b);
  if (at < 0) return null;
  const scale = Math.max(maxAbs(b), natural) > 0 ? Math.max(maxAbs(b), natural) : 1;
  const rel = diff / scale;
  measured.set(label, Math.max(measured.get(label) ?? 0, rel));
  const allowed = tol === 'exact' ? 0 : tol.rel;
  if (rel <= allowed) return null;
  const where = `[${unravel(b.shape, at).join(',')}]`;
  return `${label}: rel ${fmt(rel)} > ${tol === 'exact' ? 'exact' : fmt(allowed)} at ${where} (${fmt(a.data[at]!)} vs ${fmt(b.data[at]!)})`;
}

/** Every tensor of two attention results, in the order out, dq, dk, dv; the first difference. */
export function compareResults(label: string, a: AttentionResult, b: AttentionResult, tol: Tol, natural?: TensorScales): Outcome {
  for (const t of ['out', 'dq', 'dk', 'dv'] as const) {
    const o = compareTensors(`${label} ${t}`, a[t], b[t], tol, natural?.[t]);
    if (o) return o;
  }
  return null;
}

/** The first non-null outcome. */
export function firstOf(...outcomes: Outcome[]): Outcome {
  return outcomes.find((o) => o !== null) ?? null;
}

/** null iff every element is exactly 0 (the name says which tensor is not). */
export function allZero(label: string, t: HostTensor): Outcome {
  const n = t.data.findIndex((x) => x !== 0);
  return n < 0 ? null : `${label}: ${fmt(t.data[n]!)} at [${unravel(t.shape, n).join(',')}], expected exactly 0`;
}

/** A found failure: the shrunk counterexample and what differed on it. */
export interface Failure<C> {
  readonly counterexample: C;
  readonly message: string;
  readonly seed: number;
  readonly path: string;
}

/** Runs the relation over `runs` generated cases (the profile scales it); the shrunk failure or null. */
function search<C>(cases: fc.Arbitrary<C>, relation: (c: C) => Outcome, runs: number): Failure<C> | null {
  let last = '';
  const property = fc.property(cases, (c) => {
    let o: Outcome;
    try {
      o = relation(c);
    } catch (e) {
      o = `threw: ${e instanceof Error ? e.message : String(e)}`;
    }
    last = o ?? '';
    return o === null;
  });
  const details = fc.check(property, fcParams(runs));
  if (!details.failed) return null;
  const [counterexample] = details.counterexample!;
  // fast-check's last run of the predicate is not always the shrunk case: measure it again.
  const message = (() => {
    try {
      return relation(counterexample) ?? last;
    } catch (e) {
      return `threw: ${e instanceof Error ? e.message : String(e)}`;
    }
  })();
  return { counterexample, message, seed: details.seed, path: details.counterexample ? (details.counterexamplePath ?? '') : '' };
}

/** The command that re-runs the current test with this run's seed (its file and title from vitest). */
function replayCommand(): string {
  const state = expect.getState();
  const file = state.testPath ? state.testPath.replace(`${process.cwd()}/`, '') : 'properties';
  const title = (state.currentTestName ?? '').split(' > ').pop() ?? '';
  // vitest -t takes a regular expression matched against the test's name.
  const pattern = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `ATTNFUZZ_SEED=${SEED} npx vitest run ${file} -t ${JSON.stringify(pattern)}`;
}

/** The repro a failing property prints: shrunk case, what differs, replay lines. */
export function formatFailure<C>(f: Failure<C>): string {
  return [
    `metamorphic relation failed, shrunk to:`,
    JSON.stringify(f.counterexample),
    `what differs: ${f.message}`,
    `replay: ${replayCommand()}  (fast-check: { seed: ${f.seed}, path: "${f.path}" })`,
  ].join('\n');
}

/** Asserts that the relation holds on every generated case; throws the shrunk repro otherwise. */
export function holds<C>(cases: fc.Arbitrary<C>, relation: (c: C) => Outcome, runs: number): void {
  const f = search(cases, relation, runs);
  if (f) throw new Error(formatFailure(f));
}

/**
 * Asserts that the relation reports a failure within `runs` cases (a test of the property itself)
 * and returns it, so the caller can check that it fails for the targeted reason.
 */
export function failsOn<C>(cases: fc.Arbitrary<C>, relation: (c: C) => Outcome, runs: number): Failure<C> {
  const f = search(cases, relation, runs);
  if (!f) throw new Error(`the relation held on ${runs} cases: it cannot detect this broken kernel`);
  return f;
}

/**
 * Forward of `f` on host inputs and the gradients of sum(out ∘ dOut) with respect to each input,
 * by tfjs autodiff; every tensor made here is disposed.
 */
export function withGrads(f: (...xs: Tensor[]) => Tensor, inputs: readonly HostTensor[], dOut: HostTensor): { out: HostTensor; grads: HostTensor[] } {
  const down = (t: Tensor): HostTensor => ({ shape: [...t.shape], data: Float64Array.from(t.dataSync() as Float32Array) });
  const xs = inputs.map((t) => tf.tensor(Float32Array.from(t.data), [...t.shape], 'float32'));
  const dy = tf.tensor(Float32Array.from(dOut.data), [...dOut.shape], 'float32');
  try {
    let out: HostTensor | null = null;
    let grads: HostTensor[] = [];
    tf.tidy(() => {
      const gs = tf.grads((...as: Tensor[]) => {
        const y = f(...as);
        out = down(y);
        return tf.sum(tf.mul(y, dy));
      })(xs);
      grads = gs.map(down);
    });
    return { out: out!, grads };
  } finally {
    tf.dispose([...xs, dy]);
  }
}
