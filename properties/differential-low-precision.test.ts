/**
 * The oracle has teeth in bfloat16 and float16 (src/oracle/tolerance.ts): a kernel right in float32
 * and wrong only in its low-precision path is caught, in the tensor it breaks, in each precision.
 * The faults (test/fixtures/broken-kernels/lowprec-faults.ts) are the ones dtype-specific kernels
 * ship: a detached input, a gradient off by a factor, an output rescaled wrongly.
 */
import { describe, expect, it } from 'vitest';
import { attentionCase } from '../src/case/index.js';
import type { AttentionKernel } from '../src/contract/index.js';
import {
  lowprecDetachedQ,
  lowprecHalvedDk,
  lowprecHalvedDv,
  lowprecOutBiased,
} from '../test/fixtures/broken-kernels/lowprec-faults.js';
import { matchesReference } from './support/differential.js';
import { failsOn, holds } from './support/engine.js';

// Normal values: small integers often make a tensor exactly 0 (ties), which no fault can move.
const cases = (precision: 'bfloat16' | 'float16' | 'float32') =>
  attentionCase({ maxBatch: 2, maxHeads: 4, maxSeq: 8, maxHeadDim: 8, precisions: [precision], values: ['normal'] });

/** The fault, the tensor it breaks (and only it, but for out which every gradient passes through), and that pass. */
const FAULTS: ReadonlyArray<readonly [string, AttentionKernel, 'out' | 'dq' | 'dk' | 'dv', 'forward' | 'backward']> = [
  ['an output 1/32 too large', lowprecOutBiased, 'out', 'forward'],
  ['a detached q', lowprecDetachedQ, 'dq', 'backward'],
  ['a halved dk', lowprecHalvedDk, 'dk', 'backward'],
  ['a halved dv', lowprecHalvedDv, 'dv', 'backward'],
];

describe.each(['bfloat16', 'float16'] as const)('differential.can-fail in %s', (precision) => {
  it.each(FAULTS)(`catches %s, in the tensor it breaks`, async (_, kernel, tensor, pass) => {
    const f = await failsOn(cases(precision), matchesReference(kernel), 20);
    expect(f.check!.verdict).toMatchObject({ status: 'mismatch', failing: { tensor, pass } });
    const v = f.check!.verdict;
    if (tensor !== 'out' && v.status === 'mismatch')
      expect(v.tensors.filter((t) => t.status !== 'pass').map((t) => t.tensor)).toEqual([tensor]);
  });
});

describe('the same kernels are right in float32', () => {
  it.each(FAULTS)('%s only in low precision: float32 cases pass', async (_, kernel) =>
    holds(cases('float32'), matchesReference(kernel), 10),
  );
});
