/**
 * The tfjs ops our kernels are built from agree with their float64 definitions, forward and
 * backward, on every CPU backend (cpu, wasm), and the backends agree with each other
 * (tensorflow/tfjs#5394, #8400 are backend disagreements of this kind).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf, useBackend, type BackendName } from '../src/backend/index.js';
import { maxAbs, maxAbsDiff, maxRelError, numel, type HostTensor } from '../src/contract/index.js';
import { fdGrad, gather64, logSumExp64, matMul64, softmax64, where64 } from './support/ops-reference.js';
import { fcParams } from './support/profile.js';

const BACKENDS: BackendName[] = ['cpu', 'wasm'];
/** float32 forward and gradients of these small ops stay within a few ulps of their inputs' scale. */
const REL = 2e-6;

const hostArb = (shape: number[]) =>
  fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: numel(shape), maxLength: numel(shape) }).map(
    // Tiny magnitudes flush to 0: float32 underflow is not what these properties are about.
    (xs): HostTensor => ({ shape, data: Float64Array.from(xs, (v) => (Math.abs(v) < 1e-3 ? 0 : Math.fround(v))) }),
  );

const up = (t: HostTensor) => tf.tensor(Float32Array.from(t.data), [...t.shape]);
const down = (t: Tensor): HostTensor => ({ shape: [...t.shape], data: Float64Array.from(t.dataSync()) });

/**
 * Checks an op on one backend: forward against `ref`, and the gradient of sum(op ∘ cot) with
 * respect to each float input against float64 central differences of `ref`.
 */
function agreesWithFloat64(
  backend: BackendName,
  xs: HostTensor[],
  op: (...ts: Tensor[]) => Tensor,
  ref: (xs: HostTensor[]) => HostTensor,
  withGrads: boolean,
  gradScale: GradScale,
): { forward: number; grads: number[]; out: HostTensor } {
  const want = ref(xs);
  const cot = Float64Array.from(want.data, (_, n) => Math.sin(n + 1));
  let r: { out: HostTensor; grads: HostTensor[] } = { out: want, grads: [] };
  tf.tidy(() => {
    const ins = xs.map(up);
    const out = op(...ins);
    const c = tf.tensor(Float32Array.from(cot), out.shape);
    const gs = withGrads ? tf.grads((...a: Tensor[]) => tf.sum(tf.mul(op(...a), c)))(ins) : [];
    r = { out: down(out), grads: gs.map(down) };
  });
  expect(r.out.shape, `${backend}: forward shape`).toEqual(want.shape);
  const grads = withGrads
    ? xs.map((_, w) => {
        const want = fdGrad(ref, xs, w, cot);
        return maxAbsDiff(r.grads[w]!, want) / Math.max(maxAbs(want), gradScale(cot), Number.MIN_VALUE);
      })
    : [];
  return { forward: maxRelError(r.out, want), grads, out: r.out };
}

/**
 * The op agrees with its float64 definition on every backend, and the backends with each other.
 * `gradsOn` lists the backends whose gradients are checked: the others are known upstream
 * failures, replayed from corpus/upstream by upstream-failures.test.ts (never a silent skip).
 */
/**
 * The size of the terms a gradient sums, when larger than the gradient itself: float32 rounding is
 * relative to the terms, and terms that cancel leave a small gradient with the same absolute error.
 * softmax's dx = P∘(g − Σ P g) and logSumExp's dx = P·g sum terms up to max|g| (P sums to 1).
 */
type GradScale = (cot: Float64Array) => number;
const NO_CANCELLATION: GradScale = () => 0;
const WEIGHTED_BY_P: GradScale = (cot) => cot.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

function onEveryBackend(
  xs: HostTensor[],
  op: (...ts: Tensor[]) => Tensor,
  ref: (xs: HostTensor[]) => HostTensor,
  gradsOn: readonly BackendName[] = BACKENDS,
  gradScale: GradScale = NO_CANCELLATION,
): Promise<void> {
  return (async () => {
    const outs: HostTensor[] = [];
    for (const b of BACKENDS) {
      await useBackend(b);
      const r = agreesWithFloat64(b, xs, op, ref, gradsOn.includes(b), gradScale);
      expect(r.forward, `${b}: forward rel error`).toBeLessThanOrEqual(REL);
      r.grads.forEach((g, w) => expect(g, `${b}: gradient of input ${w} rel error`).toBeLessThanOrEqual(REL * 10));
      outs.push(r.out);
    }
    expect(maxRelError(outs[1]!, outs[0]!), 'cpu vs wasm forward').toBeLessThanOrEqual(REL);
    await useBackend('cpu');
  })();
}

const dim = fc.integer({ min: 1, max: 5 });

describe('tfjs ops match their float64 definitions on cpu and wasm', () => {
  // Gradients only without batch broadcasting: tensorflow/tfjs#8721 (corpus/upstream).
  it('matMul with any transposes and batch broadcasting (gradients on equal batches)', async () => {
    const arb = fc
      .record({ M: dim, K: dim, N: dim, ba: fc.constantFrom(1, 3), bb: fc.constantFrom(1, 3), tA: fc.boolean(), tB: fc.boolean(), rank4: fc.boolean() })
      .chain((s) => {
        // Rank 4 broadcasts only an all-ones batch: an inner broadcast dim gives wrong values
        // (corpus/upstream/tfjs-matmul-rank4-inner-broadcast.json).
        const lead = (b: number) => (s.rank4 ? (b === 1 ? [1, 1] : [2, b]) : [b]);
        const aShape = [...lead(s.ba), ...(s.tA ? [s.K, s.M] : [s.M, s.K])];
        const bShape = [...lead(s.bb), ...(s.tB ? [s.N, s.K] : [s.K, s.N])];
        return fc.tuple(fc.constant(s), hostArb(aShape), hostArb(bShape));
      });
    await fc.assert(
      fc.asyncProperty(arb, async ([s, a, b]) =>
        onEveryBackend([a, b], (x, y) => tf.matMul(x!, y!, s.tA, s.tB), ([x, y]) => matMul64(x!, y!, s.tA, s.tB), s.ba === s.bb ? BACKENDS : []),
      ),
      fcParams(25),
    );
  });

  it('softmax over the last axis', async () => {
    const arb = fc.tuple(dim, dim, dim).chain(([a, b, c]) => hostArb([a, b, c]));
    await fc.assert(fc.asyncProperty(arb, (x) => onEveryBackend([x], (t) => tf.softmax(t!), ([t]) => softmax64(t!), BACKENDS, WEIGHTED_BY_P)), fcParams(20));
  });

  it('logSumExp over the last axis', async () => {
    const arb = fc.tuple(dim, dim).chain(([a, b]) => hostArb([a, b]));
    await fc.assert(fc.asyncProperty(arb, (x) => onEveryBackend([x], (t) => tf.logSumExp(t!, -1), ([t]) => logSumExp64(t!), BACKENDS, WEIGHTED_BY_P)), fcParams(20));
  });

  it('where selects elementwise and routes gradients to the chosen side only', async () => {
    const arb = fc.tuple(dim, dim).chain(([r, c]) =>
      fc.tuple(fc.array(fc.boolean(), { minLength: r * c, maxLength: r * c }), hostArb([r, c]), hostArb([r, c])),
    );
    await fc.assert(
      fc.asyncProperty(arb, ([cond, a, b]) => {
        const c8 = Uint8Array.from(cond, Number);
        return onEveryBackend(
          [a, b],
          (x, y) => tf.where(tf.tensor(c8, [...a.shape], 'bool'), x!, y!),
          ([x, y]) => where64(c8, x!, y!),
        );
      }),
      fcParams(20),
    );
  });

  // Gradients on cpu only: wasm has no UnsortedSegmentSum, tensorflow/tfjs#8082 (corpus/upstream).
  it('gather along the first axis, with repeated indices accumulating gradients', async () => {
    const arb = fc.tuple(dim, dim, fc.integer({ min: 1, max: 6 })).chain(([r, c, n]) =>
      fc.tuple(hostArb([r, c]), fc.array(fc.integer({ min: 0, max: r - 1 }), { minLength: n, maxLength: n })),
    );
    await fc.assert(
      fc.asyncProperty(arb, ([x, ix]) =>
        onEveryBackend([x], (t) => tf.gather(t!, tf.tensor1d(ix, 'int32'), 0), ([t]) => gather64(t!, ix), ['cpu']),
      ),
      fcParams(20),
    );
  });
});

describe('tfjs op properties can fail', () => {
  const x: HostTensor = { shape: [2, 3], data: Float64Array.of(0.5, -1, 2, 1.5, 0.25, -0.75) };
  const y: HostTensor = { shape: [2, 3], data: Float64Array.of(1, 2, -1, 0.5, -0.5, 3) };

  it('a matMul that reshapes where it should transpose is caught', async () => {
    await expect(onEveryBackend([x, y], (a, b) => tf.matMul(a!, tf.reshape(b!, [3, 2])), ([a, b]) => matMul64(a!, b!, false, true))).rejects.toThrow(/forward rel error/);
    await useBackend('cpu');
  });

  it('a softmax whose gradient is lost is caught in the backward check', async () => {
    const detached = (t: Tensor) => {
      const f = tf.customGrad(((u: Tensor) => ({ value: tf.softmax(u), gradFunc: (dy: Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]);
      return f(t);
    };
    await expect(onEveryBackend([x], (t) => detached(t!), ([t]) => softmax64(t!), BACKENDS, WEIGHTED_BY_P)).rejects.toThrow(/gradient of input 0/);
    await useBackend('cpu');
  });
});
