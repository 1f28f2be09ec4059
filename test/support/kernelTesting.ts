/**
 * Test support shared by the kernel tests (eager, sdpa, flash): seeded standard-normal inputs,
 * random masks, and one differential helper (tinygrad's helper_test_op idea) that runs a kernel
 * through `runAttentionKernel`, checks shapes first, and returns each tensor's `maxRelError`
 * against the float64 reference.
 */
import seedrandom from 'seedrandom';
import {
  ATTENTION_TENSORS,
  type AttentionInputs,
  type AttentionKernel,
  type AttentionOptions,
  type AttentionResult,
  type AttentionShapes,
  type AttentionTensorName,
  formatShape,
  type HostMask,
  type HostTensor,
  maxAbs,
  maxAbsDiff,
  maxRelError,
  numel,
  type Precision,
  roundArray,
  sameShape,
} from '../../src/contract/index.js';
import { normals } from '../../src/data/index.js';
import { runAttentionKernel } from '../../src/execute/index.js';
import { roundingScale } from '../../src/oracle/index.js';
import { attentionTermScales } from '../../src/reference/index.js';

function tensorOf(rng: () => number, shape: number[], precision: Precision): HostTensor {
  return { shape, data: roundArray(precision, normals(rng, numel(shape))) };
}

/** Standard normal q, k, v, dOut from `seed`, rounded to `precision` as the harness hands them over. */
export function makeInputs(s: AttentionShapes, seed: string, precision: Precision = 'float32'): AttentionInputs {
  const rng = seedrandom(seed);
  return {
    q: tensorOf(rng, [s.B, s.Hq, s.Sq, s.D], precision),
    k: tensorOf(rng, [s.B, s.Hkv, s.Sk, s.D], precision),
    v: tensorOf(rng, [s.B, s.Hkv, s.Sk, s.Dv], precision),
    dOut: tensorOf(rng, [s.B, s.Hq, s.Sq, s.Dv], precision),
  };
}

/** A boolean mask where each element may attend with probability `density`. */
export function randomMask(shape: [number, number, number, number], seed: string, density = 0.6): HostMask {
  const rng = seedrandom(seed);
  return { shape, data: Uint8Array.from({ length: numel(shape) }, () => (rng() < density ? 1 : 0)) };
}

/** maxRelError per tensor. */
export type Errors = Record<AttentionTensorName, number>;

/** Each tensor's maxRelError of `actual` against `expected`, after checking their shapes. */
export function errorsOf(label: string, actual: AttentionResult, expected: AttentionResult): Errors {
  const errors = {} as Errors;
  for (const t of ATTENTION_TENSORS) {
    if (!sameShape(actual[t].shape, expected[t].shape)) {
      throw new Error(
        `${label}: ${t}.shape ${formatShape(actual[t].shape)}, expected ${formatShape(expected[t].shape)}`,
      );
    }
    errors[t] = maxRelError(actual[t], expected[t]);
  }
  return errors;
}

/** Runs `kernel` on the inputs and returns each tensor's error against `expected` (the reference). */
export function kernelErrors(
  kernel: AttentionKernel,
  inputs: AttentionInputs,
  opts: AttentionOptions,
  expected: AttentionResult,
  label = kernel.name,
): Errors {
  return errorsOf(label, runAttentionKernel(kernel, inputs, opts), expected);
}

/**
 * Each tensor's error relative to the size of the terms it sums (the oracle's natural scale,
 * src/oracle/tolerance.ts), not to its own magnitude: a gradient that cancels to ~0 (a row with
 * one or two visible keys) carries rounding noise of its terms, which max|ref| alone would turn
 * into a huge relative error on some seeds and not others.
 */
export function naturalErrors(
  kernel: AttentionKernel,
  inputs: AttentionInputs,
  opts: AttentionOptions,
  s: AttentionShapes,
  expected: AttentionResult,
): Errors {
  const actual = runAttentionKernel(kernel, inputs, opts);
  errorsOf(kernel.name, actual, expected); // shapes first
  const terms = attentionTermScales(inputs, opts);
  const errors = {} as Errors;
  for (const t of ATTENTION_TENSORS) {
    const scale = roundingScale(opts.precision, { terms: terms[t], logit: terms.logit, keys: s.Sk });
    errors[t] = maxAbsDiff(actual[t], expected[t]) / Math.max(maxAbs(expected[t]), scale, Number.MIN_VALUE);
  }
  return errors;
}
