/**
 * Layout and stride invariance: the same values in any memory layout (BHSD, BSHD, packed QKV,
 * strided views with NaN in the gaps) give the same out, dq, dk, dv. Measured: bit-identical for
 * every built-in kernel and layout, through the runner's layout chains and through strided reads.
 */
import { describe, expect, it } from 'vitest';
import { assumingContiguousBSHD } from '../fixtures/broken-kernels/metamorphic/layout.js';
import { attentionCase } from '../src/case/index.js';
import { eagerKernel, flashKernel } from '../src/runner/index.js';
import { failsOn, holds } from './support/engine.js';
import { SMALL } from './support/metamorphic-attention.js';
import { layoutInvariance, readingStrides, stridedLayoutInvariance } from './support/metamorphic-layout.js';
import { BUILTINS } from './support/run.js';

const cases = attentionCase({ ...SMALL, layouts: ['BSHD', 'packed-qkv', 'strided'] });

describe('layout and stride invariance', () => {
  it.each(BUILTINS)('%s: q, k, v in any layout give bit-identical results to BHSD', async (kernel) => {
    await holds(cases, layoutInvariance(kernel, 'exact'), 12);
  });

  it.each([
    ['eager', eagerKernel],
    ['flash', flashKernel],
  ] as const)(
    '%s reading q, k, v through their strides gives bit-identical results in every layout',
    async (_, kernel) => {
      await holds(cases, stridedLayoutInvariance(readingStrides(kernel), 'exact'), 12);
    },
  );

  it(
    'can fail: a kernel that assumes contiguous BSHD buffers and reshapes instead of following ' + 'the strides',
    async () => {
      const f = await failsOn(cases, stridedLayoutInvariance(assumingContiguousBSHD(eagerKernel), 'exact'), 20);
      expect(f.message).toMatch(/^strided read of \S+ vs BHSD: (out|dq|dk|dv): /m);
    },
  );
});
