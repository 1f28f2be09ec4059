/**
 * Test support for the flash tests: seeded inputs, and one differential helper (tinygrad's
 * helper_test_op idea) that runs a kernel through `runAttentionKernel`, checks shapes, and returns
 * the error of each tensor (out, dq, dk, dv) against the float64 reference in `maxRelError`.
 */
import {
  ATTENTION_TENSORS,
  type AttentionKernel,
  type AttentionOptions,
  type AttentionShapes,
  type AttentionTensorName,
  defaultOptions,
} from '../../src/contract/index.js';
import { referenceAttention } from '../../src/reference/index.js';
import { type Errors, kernelErrors, makeInputs } from './kernelTesting.js';

export { type Errors, makeInputs, randomMask } from './kernelTesting.js';

export function shapesOf(
  B: number,
  Hq: number,
  Hkv: number,
  Sq: number,
  Sk: number,
  D: number,
  Dv = D,
): AttentionShapes {
  return { B, Hq, Hkv, Sq, Sk, D, Dv };
}

export function optionsFor(s: AttentionShapes, extra: Partial<AttentionOptions> = {}): AttentionOptions {
  return { ...defaultOptions(s), ...extra };
}

/** Runs `kernel` and the reference on the same case; throws on a shape mismatch, returns errors. */
export function errorsVsReference(
  kernel: AttentionKernel,
  s: AttentionShapes,
  opts: AttentionOptions,
  seed = 'flash',
): Errors {
  const inputs = makeInputs(s, seed, opts.precision);
  return kernelErrors(kernel, inputs, opts, referenceAttention(inputs, opts));
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
    return (
      `${title}: ` +
      ATTENTION_TENSORS.map((n) => `${n} ${this.worst[n].toExponential(2)} (${this.where[n]})`).join(', ')
    );
  }
}
