/**
 * The case stream: shards are a partition of the campaign (for any number of targets, shards and
 * cases), case i is a pure function of (seed, i), and it is exactly the case the one search
 * starts from at its address, so a campaign's failure is shrunk by `search`, not by a copy.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEED } from '../../fixtures/profile.js';
import { loraCase } from '../case/index.js';
import { type AnyCase, builtinKernel, search } from '../runner/index.js';
import { caseAddress, caseAt, caseSeed, shardCases, shardOf, targetOf } from './stream.js';
import { arbitraryOf } from './targetArbitrary.js';

describe('the case stream', () => {
  it(
    'shards 0..n-1 together yield every case index below the limit exactly once, each in its shard, every ' +
      'target in every shard',
    () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 0, max: 400 }),
          (T, n, limit) => {
            const all = Array.from({ length: n }, (_, k) => [...shardCases({ index: k, count: n }, T, limit)]);
            expect(all.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: limit }, (_, i) => i));
            for (const [k, cases] of all.entries()) for (const i of cases) expect(shardOf(i, T, n)).toBe(k);
            for (const cases of all)
              if (cases.length >= T) expect(new Set(cases.map((i) => targetOf(i, T))).size).toBe(T);
          },
        ),
        { seed: SEED, numRuns: 200 },
      );
    },
  );

  it('skips the targets it is told to, and nothing else', () => {
    const cases = [...shardCases({ index: 1, count: 2 }, 3, 30, (t) => t === 1)];
    expect(cases.every((i) => targetOf(i, 3) !== 1)).toBe(true);
    expect(cases).toEqual([3, 5, 9, 11, 15, 17, 21, 23, 27, 29]);
  });

  it('case seeds are non-negative 31-bit integers, a function of (seed, i), different for neighbouring i', () => {
    const seeds = Array.from({ length: 1000 }, (_, i) => caseSeed(SEED, i));
    expect(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 31)).toBe(true);
    expect(new Set(seeds).size).toBeGreaterThan(995);
    expect(caseSeed(SEED, 7)).toBe(caseSeed(SEED, 7));
    expect(caseSeed(SEED, 2 ** 40 + 7)).not.toBe(caseSeed(SEED, 7));
  });

  it(
    'case i, drawn as a campaign draws it, is the case search starts from at its address (for any kernel: ' +
      'search aims the arbitrary at it)',
    async () => {
      for (const [name, suite, constraints] of [
        ['flash', 'attention', { maxSeq: 6, maxHeadDim: 6 }],
        ['lora', 'lora', undefined],
      ] as const) {
        const kernel = builtinKernel(name);
        const target = { kernel: name, suite, constraints };
        for (let i = 0; i < 6; i++) {
          const a = caseAddress(SEED, i, 2);
          let first: AnyCase | null = null;
          await search({
            suite,
            kernel,
            constraints,
            seed: a.seed,
            path: a.path,
            numRuns: 1,
            shrinkTimeMs: 1,
            timeMs: 60_000,
            onCase: (c) => void (first ??= c.case),
          });
          expect(first).toEqual(caseAt(arbitraryOf(target, kernel), a));
        }
      }
    },
  );

  it('case i is the lora suite arbitrary at its address', async () => {
    const always = { ...builtinKernel('lora'), label: 'always' };
    for (let i = 0; i < 6; i++) {
      const a = caseAddress(SEED, i, 2);
      const expected = caseAt(loraCase(), a);
      let first: AnyCase | null = null;
      await search({
        suite: 'lora',
        kernel: always,
        seed: a.seed,
        path: a.path,
        numRuns: 1,
        onCase: (c) => void (first ??= c.case),
      });
      expect(first).toEqual(expected);
    }
  });
});
