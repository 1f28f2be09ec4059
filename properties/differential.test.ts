/**
 * The differential properties: eager, sdpa and flash, forward and backward, match the float64
 * reference in every precision, judged by the core's oracle (relative to a same-precision
 * baseline; see src/oracle/tolerance.ts) over cases drawn with every option of the contract.
 */
import { describe, expect, it } from 'vitest';
import { attentionCase } from '../src/case/index.js';
import { PRECISIONS } from '../src/contract/index.js';
import causalIgnored from '../test/fixtures/broken-kernels/causal-ignored-without-mask.js';
import valueGradDetached from '../test/fixtures/broken-kernels/value-grad-detached.js';
import { assertProperty, BUILTINS, kernelMatchesReference, propertyFails } from './support/attention.js';

const SMALL = { maxBatch: 2, maxHeads: 4, maxSeq: 8, maxHeadDim: 8 } as const;

describe('every kernel matches the float64 reference', () => {
  for (const kernel of BUILTINS)
    for (const precision of PRECISIONS)
      it(`${kernel} forward and backward match the float64 reference in ${precision} for any case`, () =>
        assertProperty(kernelMatchesReference(kernel, attentionCase({ ...SMALL, precisions: [precision] })), 25));
});

describe('differential.can-fail', () => {
  it('fails on a kernel that ignores the causal flag when no mask is given (adapters#721)', () =>
    expect(propertyFails(kernelMatchesReference(causalIgnored, attentionCase({ ...SMALL, precisions: ['float32'], causals: ['top-left', 'bottom-right'], allowMask: false })), 10)).toBe(true));

  it('fails on a kernel whose value gradient is detached (peft#137)', () =>
    expect(propertyFails(kernelMatchesReference(valueGradDetached, attentionCase({ ...SMALL, precisions: ['float32'] })), 10)).toBe(true));
});
