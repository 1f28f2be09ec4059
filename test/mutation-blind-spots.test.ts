/**
 * Blind spots that mutation testing of the built-in kernels found (docs/mutation.md), each fixed in
 * the generator or the oracle: a fixture in fixtures/broken-kernels reproduces the surviving
 * mutant, and `check`'s search (the default attention constraints) now finds it within a case budget
 * for every seed tried. What each test asserts is what the bug guarantees for any seed.
 */
import { describe, expect, it } from 'vitest';
import type { AttentionCase } from '../src/case/index.js';
import { SIZE_PROFILES } from '../src/case/index.js';
import { isFailure } from '../src/oracle/index.js';
import { resolveKernel, search } from '../src/runner/index.js';

const SEEDS = [1, 2, 3, 4, 5];

async function shrunkFailures(fixture: string, numRuns: number): Promise<AttentionCase[]> {
  const kernel = await resolveKernel(`fixtures/broken-kernels/${fixture}.ts`);
  const out: AttentionCase[] = [];
  for (const seed of SEEDS) {
    const r = await search({ suite: 'attention', kernel, seed, numRuns, constraints: SIZE_PROFILES.default });
    expect(r.status, `seed ${seed}`).toBe('failed');
    if (r.status !== 'failed') continue;
    expect(isFailure(r.shrunk.verdict)).toBe(true);
    if (r.shrunk.case.kind !== 'attention') throw new Error(`seed ${seed}: not an attention case`);
    out.push(r.shrunk.case);
  }
  return out;
}

describe('blind spots found by mutation testing are found by check', () => {
  // kernels/eager/visibilityMask.ts hasStructuralRestriction reading one side of the window only.
  it('a left-only sliding window dropped when nothing else masks', async () => {
    for (const c of await shrunkFailures('left-window-ignored', 1000)) {
      expect([c.window !== null && c.window[0] >= 0, c.window?.[1], c.causal]).toEqual([true, -1, 'none']);
    }
  }, 600_000);

  it('a right-only sliding window dropped when nothing else masks', async () => {
    for (const c of await shrunkFailures('right-window-ignored', 1000)) {
      expect([c.window?.[0], c.window !== null && c.window[1] >= 0, c.causal]).toEqual([-1, true, 'none']);
    }
  }, 600_000);
});
