/**
 * Test support for the flash tests: seeded inputs, and one differential helper (tinygrad's
 * helper_test_op idea) that runs a kernel through `runAttentionKernel`, checks shapes, and returns
 * the error of each tensor (out, dq, dk, dv) against the float64 reference in `maxRelError`.
 */
import seedrandom from 'seedrandom';
import {
  ATTENTION_TENSORS,
  defaultOptions,
  formatShape,
  maxRelError,
  roundArray,
  sameShape,
  type AttentionInputs,
  type AttentionOptions,
  type AttentionShapes,
  type AttentionTensorName,
  type HostMask,
  type HostTensor,
  type Precision,
} from '../../src/contract/index.js';
import { runAttentionKernel, type AttentionKernel } from '../../src/kernel/index.js';
import { referenceAttention } from '../reference/index.js';

export function shapesOf(B: number, Hq: number, Hkv: number, Sq: number, Sk: number, D: number, Dv = D): AttentionShapes {
  return { B, Hq, Hkv, Sq, Sk, D, Dv };
}

function normals(rng: () => number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return out;
}

function tensorOf(rng: () => number, shape: number[], precision: Precision): HostTensor {
  return { shape, data: roundArray(precision, normals(rng, shape.reduce((a, b) => a * b, 1))) };
}

/** Standard normal q, k, v, dOut, rounded to `precision` as the harness hands them over. */
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
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Uint8Array.from({ length: n }, () => (rng() < density ? 1 : 0)) };
}

export function optionsFor(s: AttentionShapes, extra: Partial<AttentionOptions> = {}): AttentionOptions {
  return { ...defaultOptions(s), ...extra };
}

export type Errors = Record<AttentionTensorName, number>;

/** Runs `kernel` and the reference on the same case; throws on a shape mismatch, returns errors. */
export function errorsVsReference(kernel: AttentionKernel, s: AttentionShapes, opts: AttentionOptions, seed = 'flash'): Errors {
  const inputs = makeInputs(s, seed, opts.precision);
  const got = runAttentionKernel(kernel, inputs, opts);
  const ref = referenceAttention(inputs, opts);
  const errors = {} as Errors;
  for (const name of ATTENTION_TENSORS) {
    if (!sameShape(got[name].shape, ref[name].shape)) {
      throw new Error(`${kernel.name}: ${name}.shape ${formatShape(got[name].shape)} != reference ${formatShape(ref[name].shape)}`);
    }
    errors[name] = maxRelError(got[name], ref[name]);
  }
  return errors;
}

/** Largest error of each tensor seen so far, so a suite can report its worst case. */
export class WorstErrors {
  readonly worst: Errors = { out: 0, dq: 0, dk: 0, dv: 0 };
  readonly where: Record<AttentionTensorName, string> = { out: '', dq: '', dk: '', dv: '' };
  add(label: string, e: Errors): void {
    for (const name of ATTENTION_TENSORS) {
      if (!(e[name] <= this.worst[name])) {
        this.worst[name] = e[name];
        this.where[name] = label;
      }
    }
  }
  report(title: string): string {
    return `${title}: ` + ATTENTION_TENSORS.map((n) => `${n} ${this.worst[n].toExponential(2)} (${this.where[n]})`).join(', ');
  }
}
