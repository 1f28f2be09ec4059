/**
 * The differential properties: eager, sdpa and flash, forward and backward, match the float64
 * reference in every precision, judged by the core's oracle (relative to a same-precision
 * baseline; see src/oracle/tolerance.ts) over cases drawn with every option of the contract.
 */
import { describe, expect, it } from 'vitest';
import causalIgnored from '../fixtures/broken-kernels/causal-ignored-without-mask.js';
import valueGradDetached from '../fixtures/broken-kernels/value-grad-detached.js';
import { attentionCase } from '../src/case/index.js';
import { PRECISIONS } from '../src/contract/index.js';
import { matchesReference } from './support/differential.js';
import { failsOn, holds } from './support/engine.js';
import { BUILTINS } from './support/run.js';

const SMALL = { maxBatch: 2, maxHeads: 4, maxSeq: 8, maxHeadDim: 8 } as const;

describe('every kernel matches the float64 reference', () => {
  for (const kernel of BUILTINS)
    for (const precision of PRECISIONS)
      it(`${kernel} forward and backward match the float64 reference in ${precision} for any case`, async () =>
        holds(attentionCase({ ...SMALL, precisions: [precision] }), matchesReference(kernel), 25));
});

describe('differential, on broken kernels', () => {
  it(
    'can fail: a kernel that ignores the causal flag when no mask is given (adapters#721): the output sees ' +
      'future keys',
    async () => {
      // Normal values: a future key always moves the output (small integers can tie, so that only a gradient shows it).
      const cases = attentionCase({
        ...SMALL,
        precisions: ['float32'],
        causals: ['top-left', 'bottom-right'],
        allowMask: false,
        values: ['normal'],
      });
      const f = await failsOn(cases, matchesReference(causalIgnored), 10);
      // The output is wrong; which tensor the verdict names first depends on the case: a padded batch
      // with junk in its padding also reads the junk (dq non-finite, ATTNFUZZ_SEED=11).
      const v = f.check!.verdict;
      expect(['mismatch', 'nonfinite']).toContain(v.status);
      const out =
        v.status === 'mismatch' || v.status === 'nonfinite' ? v.tensors.find((t) => t.tensor === 'out') : null;
      expect(out?.pass).toBe('forward');
      expect(['mismatch', 'nonfinite']).toContain(out?.status);
    },
  );

  it('can fail: a kernel whose value gradient is detached (peft#137): dv, and only dv, is wrong', async () => {
    const f = await failsOn(
      attentionCase({ ...SMALL, precisions: ['float32'] }),
      matchesReference(valueGradDetached),
      10,
    );
    expect(f.check!.verdict).toMatchObject({ status: 'mismatch', failing: { tensor: 'dv', pass: 'backward' } });
    const v = f.check!.verdict;
    if (v.status === 'mismatch')
      expect(v.tensors.filter((t) => t.status !== 'pass').map((t) => t.tensor)).toEqual(['dv']);
  });
});
