/**
 * `attnfuzz check` finds the upstream bugs of the score options (fixtures/broken-kernels),
 * each a textbook kernel with one step broken, with the very search the command uses (the options
 * drawn because the fixtures declare them in `features`). Asserted is what each bug guarantees for
 * ANY seed: the tensor that fails and the option without which it cannot show.
 */
import { describe, expect, it } from 'vitest';
import { SEED } from '../fixtures/profile.js';
import type { AttentionCase } from '../src/case/index.js';
import type { Verdict } from '../src/oracle/index.js';
import { resolveKernel, search } from '../src/runner/index.js';

const constraints = {
  maxBatch: 2,
  maxHeads: 4,
  maxSeq: 6,
  maxHeadDim: 4,
  precisions: ['float32'],
  allowDropout: false,
} as const;
const fixture = (name: string) => resolveKernel(`fixtures/broken-kernels/${name}.ts`);

const BROKEN: ReadonlyArray<{ name: string; tensors: readonly string[]; needs: (c: AttentionCase) => void }> = [
  // s·tanh(s) instead of c·tanh(s/c): the scores are wrong whenever a softcap is on; with one
  // visible key the output is still v, but the lse is not.
  { name: 'softcap-s-tanh-s', tensors: ['out', 'lse'], needs: (c) => expect(c.softcap ?? null).not.toBeNull() },
  // The output is right; only the lse, in base 2, is off (by 0.44·|lse|).
  { name: 'lse-base-2', tensors: ['lse'], needs: () => {} },
  // The forward is right; dsinks is 0.
  { name: 'sink-no-grad', tensors: ['dsinks'], needs: (c) => expect(c.sinks ?? null).not.toBeNull() },
];

describe.each(BROKEN)('attnfuzz check finds $name', ({ name, tensors, needs }) => {
  it(`within 60 s, a mismatch of ${tensors.join(' or ')}, shrunk to a case that needs the option`, async () => {
    const kernel = await fixture(name);
    const r = await search({
      suite: 'attention',
      kernel,
      seed: SEED,
      timeMs: 60_000,
      shrinkTimeMs: 20_000,
      constraints,
    });
    expect(r.status, `${name}: not found in ${r.cases} cases`).toBe('failed');
    if (r.status !== 'failed') return;
    const v = r.shrunk.verdict as Verdict & { failing?: { tensor: string } };
    expect(v.status).toBe('mismatch');
    expect(tensors).toContain(v.failing?.tensor);
    needs(r.shrunk.case as AttentionCase);
  });
});

describe('the textbook the fixtures break', () => {
  it('passes: their failures are the bugs, not the baseline', async () => {
    const r = await search({
      suite: 'attention',
      kernel: await fixture('score-textbook'),
      seed: SEED,
      numRuns: 150,
      constraints,
    });
    expect(r.status).toBe('clean');
    expect(r.cases).toBe(150);
  });
});
