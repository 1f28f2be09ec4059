/**
 * The tfjs ops our kernels are built from agree with their float64 definitions, forward and
 * backward, on every CPU backend (cpu, wasm), and the backends agree with each other
 * (tensorflow/tfjs#5394, #8400 are backend disagreements of this kind).
 *
 * Known upstream failures are excluded here and kept as saved cases in corpus/upstream, replayed
 * by properties/regressions.test.ts (never a silent skip): when tfjs fixes one, that replay fails
 * and says so, and the exclusion can go.
 */

import type { Tensor } from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { activeBackend, type BackendName, prepareBackends, switchBackendSync, tf } from '../src/backend/index.js';
import { type HostTensor, maxAbs, maxAbsDiff, maxRelError, numel } from '../src/contract/index.js';
import { fdGrad, gather64, logSumExp64, matMul64, softmax64, where64 } from '../src/reference/index.js';
import { allOf, failsFor, holds, type Outcome } from './support/engine.js';

const BACKENDS: BackendName[] = ['cpu', 'wasm'];
/** float32 forward and gradients of these small ops stay within a few ulps of their inputs' scale. */
const REL = 2e-6;

beforeAll(() => prepareBackends(BACKENDS));

const hostArb = (shape: number[]) =>
  fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: numel(shape), maxLength: numel(shape) }).map(
    // Tiny magnitudes flush to 0: float32 underflow is not what these properties are about.
    (xs): HostTensor => ({ shape, data: Float64Array.from(xs, (v) => (Math.abs(v) < 1e-3 ? 0 : Math.fround(v))) }),
  );

const up = (t: HostTensor) => tf.tensor(Float32Array.from(t.data), [...t.shape]);
const down = (t: Tensor): HostTensor => ({ shape: [...t.shape], data: Float64Array.from(t.dataSync()) });

/**
 * The size of the terms a gradient sums, when larger than the gradient itself: float32 rounding is
 * relative to the terms, and terms that cancel leave a small gradient with the same absolute error.
 * softmax's dx = P∘(g − Σ P g) and logSumExp's dx = P·g sum terms up to max|g| (P sums to 1).
 */
type GradScale = (cot: Float64Array) => number;
const NO_CANCELLATION: GradScale = () => 0;
const WEIGHTED_BY_P: GradScale = (cot) => cot.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

interface OpUnderTest {
  readonly op: (...ts: Tensor[]) => Tensor;
  readonly ref: (xs: HostTensor[]) => HostTensor;
  /** Backends whose gradients are checked: the others are known upstream failures (corpus/upstream). */
  readonly gradsOn?: readonly BackendName[];
  readonly gradScale?: GradScale;
}

const fmt = (x: number) => x.toExponential(2);

/**
 * One backend: the forward against `ref`, and the gradient of sum(op ∘ cot) with respect to each
 * input against float64 central differences of `ref`; the forward output for the cross-backend check.
 */
function onBackend(backend: BackendName, xs: HostTensor[], o: OpUnderTest): { outcome: Outcome; out: HostTensor } {
  switchBackendSync(backend);
  const want = o.ref(xs);
  const cot = Float64Array.from(want.data, (_, n) => Math.sin(n + 1));
  const withGrads = (o.gradsOn ?? BACKENDS).includes(backend);
  let r: { out: HostTensor; grads: HostTensor[] } = { out: want, grads: [] };
  tf.tidy(() => {
    const ins = xs.map(up);
    const out = o.op(...ins);
    const c = tf.tensor(Float32Array.from(cot), out.shape);
    const gs = withGrads ? tf.grads((...a: Tensor[]) => tf.sum(tf.mul(o.op(...a), c)))(ins) : [];
    r = { out: down(out), grads: gs.map(down) };
  });
  if (r.out.shape.join() !== want.shape.join())
    return { outcome: `${backend}: forward shape [${r.out.shape}] vs [${want.shape}]`, out: r.out };
  const forward = maxRelError(r.out, want);
  const grads = r.grads.map((g, w) => {
    const fd = fdGrad(o.ref, xs, w, cot);
    const err = maxAbsDiff(g, fd) / Math.max(maxAbs(fd), (o.gradScale ?? NO_CANCELLATION)(cot), Number.MIN_VALUE);
    return err <= REL * 10 ? null : `${backend}: gradient of input ${w} rel error ${fmt(err)} > ${fmt(REL * 10)}`;
  });
  return {
    outcome: allOf(forward <= REL ? null : `${backend}: forward rel error ${fmt(forward)} > ${fmt(REL)}`, ...grads),
    out: r.out,
  };
}

/** The op agrees with its float64 definition on every backend, and the backends with each other. */
function agreesWithFloat64(o: OpUnderTest) {
  return (xs: HostTensor[]): Outcome => {
    const before = activeBackend() as BackendName;
    try {
      const runs = BACKENDS.map((b) => onBackend(b, xs, o));
      const across = maxRelError(runs[1]!.out, runs[0]!.out);
      return allOf(
        ...runs.map((r) => r.outcome),
        across <= REL ? null : `cpu vs wasm: forward rel difference ${fmt(across)} > ${fmt(REL)}`,
      );
    } finally {
      switchBackendSync(before);
    }
  };
}

const dim = fc.integer({ min: 1, max: 5 });

describe('tfjs ops match their float64 definitions on cpu and wasm', () => {
  // Gradients only without batch broadcasting: tensorflow/tfjs#8721 (corpus/upstream).
  it('matMul with any transposes and batch broadcasting (gradients on equal batches)', async () => {
    const arb = fc
      .record({
        M: dim,
        K: dim,
        N: dim,
        ba: fc.constantFrom(1, 3),
        bb: fc.constantFrom(1, 3),
        tA: fc.boolean(),
        tB: fc.boolean(),
        rank4: fc.boolean(),
      })
      .chain((s) => {
        // Rank 4 broadcasts only an all-ones batch: an inner broadcast dim gives wrong values
        // (corpus/upstream/tfjs-matmul-rank4-inner-broadcast-*.json).
        const lead = (b: number) => (s.rank4 ? (b === 1 ? [1, 1] : [2, b]) : [b]);
        const aShape = [...lead(s.ba), ...(s.tA ? [s.K, s.M] : [s.M, s.K])];
        const bShape = [...lead(s.bb), ...(s.tB ? [s.N, s.K] : [s.K, s.N])];
        return fc.tuple(fc.constant(s), hostArb(aShape), hostArb(bShape));
      });
    await holds(
      arb,
      ([s, a, b]) =>
        agreesWithFloat64({
          op: (x, y) => tf.matMul(x!, y!, s.tA, s.tB),
          ref: ([x, y]) => matMul64(x!, y!, s.tA, s.tB),
          gradsOn: s.ba === s.bb ? BACKENDS : [],
        })([a, b]),
      25,
    );
  });

  it('softmax over the last axis', async () => {
    const arb = fc.tuple(dim, dim, dim).chain(([a, b, c]) => hostArb([a, b, c]));
    await holds(
      arb,
      (x) =>
        agreesWithFloat64({ op: (t) => tf.softmax(t!), ref: ([t]) => softmax64(t!), gradScale: WEIGHTED_BY_P })([x]),
      20,
    );
  });

  it('logSumExp over the last axis', async () => {
    const arb = fc.tuple(dim, dim).chain(([a, b]) => hostArb([a, b]));
    await holds(
      arb,
      (x) =>
        agreesWithFloat64({ op: (t) => tf.logSumExp(t!, -1), ref: ([t]) => logSumExp64(t!), gradScale: WEIGHTED_BY_P })(
          [x],
        ),
      20,
    );
  });

  it('where selects elementwise and routes gradients to the chosen side only', async () => {
    const arb = fc
      .tuple(dim, dim)
      .chain(([r, c]) =>
        fc.tuple(fc.array(fc.boolean(), { minLength: r * c, maxLength: r * c }), hostArb([r, c]), hostArb([r, c])),
      );
    await holds(
      arb,
      ([cond, a, b]) => {
        const c8 = Uint8Array.from(cond, Number);
        return agreesWithFloat64({
          op: (x, y) => tf.where(tf.tensor(c8, [...a.shape], 'bool'), x!, y!),
          ref: ([x, y]) => where64(c8, x!, y!),
        })([a, b]);
      },
      20,
    );
  });

  // Gradients on cpu only: wasm has no UnsortedSegmentSum, tensorflow/tfjs#8082 (corpus/upstream).
  it('gather along the first axis, with repeated indices accumulating gradients', async () => {
    const arb = fc
      .tuple(dim, dim, fc.integer({ min: 1, max: 6 }))
      .chain(([r, c, n]) =>
        fc.tuple(hostArb([r, c]), fc.array(fc.integer({ min: 0, max: r - 1 }), { minLength: n, maxLength: n })),
      );
    await holds(
      arb,
      ([x, ix]) =>
        agreesWithFloat64({
          op: (t) => tf.gather(t!, tf.tensor1d(ix, 'int32'), 0),
          ref: ([t]) => gather64(t!, ix),
          gradsOn: ['cpu'],
        })([x]),
      20,
    );
  });
});

describe('tfjs op properties, on broken ops', () => {
  const x: HostTensor = { shape: [2, 3], data: Float64Array.of(0.5, -1, 2, 1.5, 0.25, -0.75) };
  const y: HostTensor = { shape: [2, 3], data: Float64Array.of(1, 2, -1, 0.5, -0.5, 3) };

  it(
    'can fail: a matMul that reshapes where it should transpose is caught in the forward, ' + 'on every backend',
    async () => {
      const f = await failsFor(
        [x, y],
        agreesWithFloat64({
          op: (a, b) => tf.matMul(a!, tf.reshape(b!, [3, 2])),
          ref: ([a, b]) => matMul64(a!, b!, false, true),
        }),
      );
      expect(f.message).toMatch(/^cpu: forward rel error /m);
      expect(f.message).toMatch(/^wasm: forward rel error /m);
    },
  );

  it('can fail: a softmax whose gradient is lost is caught in the backward check, not the forward', async () => {
    const detached = (t: Tensor) => {
      const g = tf.customGrad(((u: Tensor) => ({
        value: tf.softmax(u),
        gradFunc: (dy: Tensor) => tf.zerosLike(dy),
      })) as unknown as Parameters<typeof tf.customGrad>[0]);
      return g(t);
    };
    const f = await failsFor(
      [x],
      agreesWithFloat64({ op: (t) => detached(t!), ref: ([t]) => softmax64(t!), gradScale: WEIGHTED_BY_P }),
    );
    expect(f.message).toMatch(/^cpu: gradient of input 0 rel error /m);
    expect(f.message).not.toMatch(/forward/);
  });
});
