import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../src/backend/index.js';
import {
  FLOAT32_REL_BOUND,
  LORA_TENSORS,
  type LoraInputs,
  type LoraKernel,
  type LoraSpec,
  maxRelError,
} from '../src/contract/index.js';
import { runLoraKernel } from '../src/execute/index.js';
import { randomTensor, referenceLora, seededRng } from '../src/reference/index.js';
import { loraMerged, loraUnmerged } from './lora.js';

/** Inputs already on the float32 grid, as the harness hands them over. */
function makeInputs(N: number, In: number, Out: number, r: number, seed: string): LoraInputs {
  const rng = seededRng(seed);
  const t = (shape: number[]) => {
    const h = randomTensor(rng, shape);
    return { shape: h.shape, data: h.data.map(Math.fround) };
  };
  return { x: t([N, In]), W0: t([Out, In]), A: t([r, In]), B: t([Out, r]), dY: t([N, Out]) };
}

const spec = (rank: number, extra: Partial<LoraSpec> = {}): LoraSpec => ({
  rank,
  alpha: 2 * rank,
  rslora: false,
  dropout: null,
  ...extra,
});

const cases: Array<[string, [number, number, number, number], LoraSpec]> = [
  ['rank 1', [3, 4, 5, 1], spec(1)],
  ['rank 4, alpha/r', [8, 16, 12, 4], spec(4, { alpha: 5 })],
  ['rank 8, rsLoRA', [6, 32, 24, 8], spec(8, { alpha: 16, rslora: true })],
  ['N = 1, in = 1', [1, 1, 3, 2], spec(2)],
  ['B = 0 init', [4, 6, 5, 2], spec(2)],
];

beforeAll(async () => {
  await useBackend('cpu');
});

/** Each tensor's maxRelError against the float64 reference, after checking shapes and that nothing leaked. */
function errorsAgainstReference(kernel: LoraKernel, inputs: LoraInputs, sp: LoraSpec): Record<string, number> {
  const before = tf.memory().numTensors;
  const got = runLoraKernel(kernel, inputs, sp);
  expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
  const ref = referenceLora(inputs, sp);
  const errors: Record<string, number> = {};
  for (const t of LORA_TENSORS) {
    expect(got[t].shape, t).toEqual(ref[t].shape);
    errors[t] = maxRelError(got[t], ref[t]);
  }
  return errors;
}

function caseInputs(name: string, [N, In, Out, r]: [number, number, number, number]): LoraInputs {
  const inputs = makeInputs(N, In, Out, r, name);
  if (name.startsWith('B = 0')) inputs.B.data.fill(0);
  return inputs;
}

describe('tfjs LoRA kernels match the float64 reference within FLOAT32_REL_BOUND', () => {
  for (const kernel of [loraUnmerged, loraMerged]) {
    it.each(cases)(`${kernel.name}: %s`, (name, dims, sp) => {
      const errors = errorsAgainstReference(kernel, caseInputs(name, dims), sp);
      for (const t of LORA_TENSORS) expect(errors[t], `${kernel.name} ${t}`).toBeLessThanOrEqual(FLOAT32_REL_BOUND);
    });
  }

  it('lora with dropout drops the same elements as the reference', () => {
    const sp = spec(3, { dropout: { p: 0.3, seed: 17 } });
    const inputs = makeInputs(7, 10, 6, 3, 'dropout');
    const errors = errorsAgainstReference(loraUnmerged, inputs, sp);
    for (const t of LORA_TENSORS) expect(errors[t], t).toBeLessThanOrEqual(FLOAT32_REL_BOUND);
    // Without the dropout the result is different: the mask is really applied.
    const got = runLoraKernel(loraUnmerged, inputs, sp);
    expect(maxRelError(got.y, referenceLora(inputs, { ...sp, dropout: null }).y)).toBeGreaterThan(1e-3);
  });

  it('the comparison measures something: float32 differs from float64 somewhere, within the bound', () => {
    const worst = Math.max(
      ...[loraUnmerged, loraMerged].flatMap((kernel) =>
        cases.flatMap(([name, dims, sp]) => Object.values(errorsAgainstReference(kernel, caseInputs(name, dims), sp))),
      ),
    );
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(FLOAT32_REL_BOUND);
  });
});

describe('tfjs LoRA kernels: init, frozen W0, merged dropout', () => {
  it('B = 0 gives y = x·W0ᵀ exactly and dA = 0 in both forms', () => {
    const inputs = makeInputs(4, 6, 5, 2, 'init');
    inputs.B.data.fill(0);
    const xW0 = tf.tidy(() =>
      tf
        .matMul(
          tf.tensor2d(Float32Array.from(inputs.x.data), [4, 6]),
          tf.tensor2d(Float32Array.from(inputs.W0.data), [5, 6]),
          false,
          true,
        )
        .dataSync(),
    );
    for (const kernel of [loraUnmerged, loraMerged]) {
      const got = runLoraKernel(kernel, inputs, spec(2));
      expect(Array.from(got.y.data), kernel.name).toEqual(Array.from(xW0));
      expect(
        got.dA.data.every((v) => v === 0),
        kernel.name,
      ).toBe(true);
      expect(
        got.dB.data.some((v) => v !== 0),
        kernel.name,
      ).toBe(true);
    }
  });

  it('W0 is frozen: autodiff cannot reach it', () => {
    const inputs = makeInputs(2, 3, 4, 2, 'frozen');
    const up = (t: { shape: readonly number[]; data: Float64Array }) =>
      tf.tensor2d(Float32Array.from(t.data), t.shape as [number, number]);
    const [x, W0, A, B] = [up(inputs.x), up(inputs.W0), up(inputs.A), up(inputs.B)];
    for (const kernel of [loraUnmerged, loraMerged]) {
      const f = (w: Tensor) => tf.sum(kernel.forward(x, w as Tensor2D, A, B, spec(2), tf));
      expect(() => tf.tidy(() => tf.grad(f)(W0)), kernel.name).toThrow(/Cannot compute gradient/);
    }
    tf.dispose([x, W0, A, B]);
  });

  it('lora-merged refuses dropout, saying why', () => {
    const inputs = makeInputs(2, 3, 4, 2, 'merged-dropout');
    expect(() => runLoraKernel(loraMerged, inputs, spec(2, { dropout: { p: 0.1, seed: 1 } }))).toThrow(
      /^lora-merged: spec\.dropout\.p: .*no separate adapter input.*got p=0\.1/,
    );
    expect(() => runLoraKernel(loraMerged, inputs, spec(2, { dropout: { p: 0, seed: 1 } }))).not.toThrow();
  });
});
