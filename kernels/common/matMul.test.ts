/**
 * matMul on wasm's fast path equals tf.matMul, value and both gradients, for every transpose
 * combination, batch shapes of rank 1 and 2, above and below the size where it splits the batch;
 * and it really takes the fast path (the point of it), seen as time only in `attnfuzz bench`.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/backend/index.js';
import { ATTENTION_TENSORS, FLOAT32_REL_BOUND } from '../../src/contract/index.js';
import { type ContractCase, measureAgainstReference } from '../../test/support/contractCases.js';
import { eagerKernel } from '../eager/index.js';
import { flashKernel } from '../flash/index.js';
import { sdpaKernel } from '../sdpa/index.js';
import { FAST_WORK, matMul } from './matMul.js';

const relErr = (x: Tensor, y: Tensor) => {
  const a = x.dataSync();
  const b = y.dataSync();
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return worst / Math.max(scale, 1e-30);
};

describe.each(['wasm', 'cpu'] as const)('matMul on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  const cases = [
    { batch: [3], m: 40, k: 33, n: 37 }, // above FAST_WORK: split on wasm
    { batch: [2, 2], m: 24, k: 70, n: 29 },
    { batch: [1], m: 48, k: 40, n: 31 },
    { batch: [2], m: 3, k: 4, n: 5 }, // below: tf.matMul itself
  ];
  for (const { batch, m, k, n } of cases)
    for (const [tA, tB] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      it(
        `[${batch}] ${m}x${k}x${n} tA=${tA} tB=${tB}: value, dA and dB equal tf.matMul's ` +
          `(${m * k * n >= FAST_WORK ? 'split' : 'plain'})`,
        () => {
          const a = tf.randomNormal([...batch, ...(tA ? [k, m] : [m, k])], 0, 1, 'float32', 1);
          const b = tf.randomNormal([...batch, ...(tB ? [n, k] : [k, n])], 0, 1, 'float32', 2);
          const dC = tf.randomNormal([...batch, m, n], 0, 1, 'float32', 3);
          const loss = (f: (x: Tensor, y: Tensor) => Tensor) => (x: Tensor, y: Tensor) => tf.sum(tf.mul(f(x, y), dC));
          const ours = tf.valueAndGrads(loss((x, y) => matMul(tf, x, y, tA, tB)))([a, b]);
          const theirs = tf.valueAndGrads(loss((x, y) => tf.matMul(x, y, tA, tB)))([a, b]);
          expect(relErr(matMul(tf, a, b, tA, tB), tf.matMul(a, b, tA, tB))).toBeLessThan(1e-5);
          expect(relErr(ours.grads[0]!, theirs.grads[0]!)).toBeLessThan(1e-5);
          expect(relErr(ours.grads[1]!, theirs.grads[1]!)).toBeLessThan(1e-5);
          expect(ours.grads[0]!.shape).toEqual(a.shape);
          expect(ours.grads[1]!.shape).toEqual(b.shape);
          // Nothing left alive by forward + backward.
          const before = tf.memory().numTensors;
          tf.dispose(tf.tidy(() => tf.valueAndGrads(loss((x, y) => matMul(tf, x, y, tA, tB)))([a, b]).grads));
          expect(tf.memory().numTensors).toBe(before);
        },
      );
    }
});

describe(
  'eager, sdpa and flash on wasm, at sizes whose products take the split path, match the float64 ' + 'reference',
  () => {
    beforeAll(async () => {
      await useBackend('wasm');
    });
    const shapes = { B: 2, Hq: 4, Hkv: 2, Sq: 40, Sk: 48, D: 33, Dv: 40 };
    const cases: ContractCase[] = [
      { name: 'no restriction, GQA, Dv != D', shapes, options: {} },
      {
        name: 'bottom-right causal + left padding',
        shapes,
        options: { causal: 'bottom-right', keyLengths: [48, 30], paddingSide: 'left' },
      },
      { name: 'top-left causal', shapes, options: { causal: 'top-left' } },
    ];
    for (const kernel of [eagerKernel, sdpaKernel, flashKernel])
      for (const c of cases)
        it(`${kernel.name}: ${c.name}`, () => {
          expect(shapes.Sq * shapes.D * shapes.Sk).toBeGreaterThanOrEqual(FAST_WORK);
          const { errors, leaked } = measureAgainstReference(kernel, c);
          for (const t of ATTENTION_TENSORS) expect(errors[t], t).toBeLessThanOrEqual(FLOAT32_REL_BOUND);
          expect(leaked).toBe(0);
        });
  },
);
