import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attentionCase, type AttentionCase } from '../case/index.js';
import { neighbours, simplifyFailure } from './simplify.js';

const sample = (seed: number) => fc.sample(attentionCase({ maxBatch: 3, maxHeads: 4, maxSeq: 6 }), { seed, numRuns: 200 });

describe('the structural pass after shrinking', () => {
  it('keeps the failing batch row when it is not row 0', () => {
    // A "bug" that needs an empty batch row: fast-check alone keeps B = 2 when row 1 is the empty one.
    const fails = (c: AttentionCase) => c.keyLengths !== null && c.keyLengths.includes(0);
    const start = sample(1).find((c) => c.shapes.B >= 2 && c.keyLengths !== null && c.keyLengths[0] !== 0 && c.keyLengths.includes(0));
    expect(start, 'a sample with an empty row after row 0').toBeDefined();
    const r = simplifyFailure(start!, fails);
    expect(r.complete).toBe(true);
    expect(r.case.shapes.B).toBe(1);
    expect(r.case.keyLengths).toEqual([0]);
    expect(r.steps[0]).toMatch(/^keep batch row [1-9]/);
    // and it is locally minimal: no neighbour still fails
    expect(neighbours(r.case).filter((n) => fails(n.case))).toEqual([]);
  });

  it('never returns a case that does not fail, and changes nothing when no neighbour fails', () => {
    for (const c of sample(2).slice(0, 30)) {
      const fails = (x: AttentionCase) => x.shapes.Sq >= 2 && x.causal !== 'none';
      const r = simplifyFailure(c, fails);
      if (!fails(c)) {
        expect(r.case).toBe(c); // not failing: nothing to simplify toward
        continue;
      }
      expect(fails(r.case)).toBe(true);
      expect(r.case.shapes.Sq).toBe(2);
      expect(r.case.shapes.B).toBe(1);
      expect(r.case.mask).toBeNull();
    }
  });

  it('offers only valid cases', () => {
    for (const c of sample(3)) for (const n of neighbours(c)) expect(n.case.shapes.Hq % n.case.shapes.Hkv).toBe(0);
  });
});
