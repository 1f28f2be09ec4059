/**
 * Blind spots that mutation testing of the built-in kernels found (docs/mutation.md), each fixed in
 * the generator or the oracle: a fixture in test/fixtures/broken-kernels reproduces the surviving
 * mutant, and `check`'s search (the default attention constraints) now finds it within a case budget
 * for every seed tried. What each test asserts is what the bug guarantees for any seed.
 */
import { describe, expect, it } from 'vitest';
import { SIZE_PROFILES } from '../src/case/index.js';
import { isFailure } from '../src/oracle/index.js';
import { resolveKernel, search } from '../src/runner/index.js';

const SEEDS = [1, 2, 3, 4, 5];

describe('blind spots found by mutation testing are found by check', () => {
  it('a left-only sliding window dropped when nothing else masks (eager visibilityMask.ts hasStructuralRestriction)', async () => {
    const kernel = await resolveKernel('test/fixtures/broken-kernels/left-window-ignored.ts');
    for (const seed of SEEDS) {
      const r = await search({ suite: 'attention', kernel, seed, numRuns: 1500, constraints: SIZE_PROFILES.default });
      expect(r.status, `seed ${seed}`).toBe('failed');
      if (r.status !== 'failed') continue;
      expect(isFailure(r.shrunk.verdict)).toBe(true);
      const c = r.shrunk.case;
      if (c.kind !== 'attention') throw new Error(`seed ${seed}: not an attention case`);
      expect([c.window?.[0] !== undefined && c.window[0] >= 0, c.window?.[1], c.causal]).toEqual([true, -1, 'none']);
    }
  }, 600_000);
});
