import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AttentionCase, attentionCase, parseCase } from '../case/index.js';
import { simplifyFailure } from './simplify.js';
import { attentionSuite, attentionNeighbours as neighbours } from './suites/index.js';

const sample = (seed: number) =>
  fc.sample(attentionCase({ maxBatch: 3, maxHeads: 4, maxSeq: 6 }), { seed, numRuns: 400 });
const admitsAll = () => true;

describe('the structural pass after shrinking', () => {
  it('keeps the failing batch row when it is not row 0', async () => {
    // A "bug" that needs an empty batch row: fast-check alone keeps B = 2 when row 1 is the empty one.
    const fails = (c: AttentionCase) => c.keyLengths?.includes(0) ?? false;
    const start = sample(1).find(
      (c) => c.shapes.B >= 2 && c.keyLengths !== null && c.keyLengths[0] !== 0 && c.keyLengths.includes(0),
    );
    expect(start, 'a sample with an empty row after row 0').toBeDefined();
    const r = await simplifyFailure(start!, async (x) => fails(x), neighbours, admitsAll);
    expect(r.complete).toBe(true);
    expect(r.case.shapes.B).toBe(1);
    expect(r.case.keyLengths).toEqual([0]);
    expect(r.steps[0]).toMatch(/^keep batch row [1-9]/);
    // and it is locally minimal: no neighbour still fails
    expect(neighbours(r.case).filter((n) => fails(n.case))).toEqual([]);
  });

  it('never returns a case that does not fail, and reaches the minimum of a simple bug from many starts', async () => {
    const fails = (x: AttentionCase) => x.shapes.Sq >= 2 && x.causal !== 'none';
    const starts = sample(2).filter(fails).slice(0, 30);
    expect(starts.length).toBe(30);
    for (const c of starts) {
      const r = await simplifyFailure(c, async (x) => fails(x), neighbours, admitsAll);
      expect(fails(r.case)).toBe(true);
      expect(r.case.shapes).toMatchObject({ B: 1, Sq: 2 });
      expect(r.case.mask).toBeNull();
    }
    const passing = sample(2).find((c) => !fails(c))!;
    expect((await simplifyFailure(passing, async (x) => fails(x), neighbours, admitsAll)).case).toBe(passing);
  });

  it(
    "stays inside the search's constraints: asked for bfloat16, top-left causal and huge junk, it never " +
      'simplifies them away',
    async () => {
      const constraints = {
        precisions: ['bfloat16'] as const,
        causals: ['top-left'] as const,
        junk: ['huge'] as const,
        maxSeq: 6,
      };
      const fails = (x: AttentionCase) => x.shapes.Sq >= 2;
      const starts = fc
        .sample(attentionSuite.arbitrary(constraints), { seed: 3, numRuns: 100 })
        .filter(fails)
        .slice(0, 20);
      expect(starts.length).toBe(20);
      for (const c of starts) {
        const r = await simplifyFailure(
          c,
          async (x) => fails(x),
          neighbours,
          (x) => attentionSuite.admits(constraints, x),
        );
        expect(r.case).toMatchObject({ precision: 'bfloat16', causal: 'top-left', junk: 'huge' });
        expect(r.case.shapes.Sq).toBe(2);
      }
    },
  );

  it('offers only valid cases', async () => {
    for (const c of sample(3)) for (const n of neighbours(c)) expect(() => parseCase(n.case)).not.toThrow();
  });
});
