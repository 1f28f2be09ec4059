/**
 * The size schedule of attention and decode cases: most cases small, a steady share sized like real
 * calls, each large case within the cost budgets, lengths aimed at declared tiles, and shrinking
 * that lands on the length a failure needs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEED } from '../../../fixtures/profile.js';
import { attentionCase } from '../generators.js';
import type { AttentionCase } from '../types.js';
import { COST_BUDGET, caseCost, SCORE_BUDGET, SIZE_PROFILES } from './schedule.js';

describe('the size schedule', () => {
  const cases = fc.sample(attentionCase(), { numRuns: 600, seed: 21 });
  const large = cases.filter((c) => Math.max(c.shapes.Sq, c.shapes.Sk, c.shapes.D, c.shapes.Dv) > 12);
  const share = (xs: readonly AttentionCase[], f: (c: AttentionCase) => boolean) => xs.filter(f).length / xs.length;

  it(
    'keeps most cases small and a steady share sized like real calls: tile edges, decode against long ' +
      'caches, real head dims',
    () => {
      expect(large.length / cases.length).toBeGreaterThan(0.1);
      expect(large.length / cases.length).toBeLessThan(0.4);
      const s = (c: AttentionCase) => c.shapes;
      const corners: Record<string, number> = {
        'Sk just past a 16-grid edge (k·16 + 1 > 16)': share(large, (c) => s(c).Sk > 16 && s(c).Sk % 16 === 1),
        'Sk on a 16-grid edge': share(large, (c) => s(c).Sk >= 16 && s(c).Sk % 16 === 0),
        'decode against a cache > 64': share(large, (c) => s(c).Sq === 1 && s(c).Sk > 64),
        'Sq > Sk, Sq long': share(large, (c) => s(c).Sq > 16 && s(c).Sq > s(c).Sk),
        'Sq < Sk, both > 1': share(large, (c) => s(c).Sq > 1 && s(c).Sq < s(c).Sk && s(c).Sk > 16),
        'a head dim kernels are compiled for (32..256)': share(large, (c) =>
          [32, 64, 96, 128, 160, 192, 224, 256].includes(s(c).D),
        ),
        'Dv != D': share(large, (c) => s(c).Dv !== s(c).D),
      };
      for (const [name, p] of Object.entries(corners)) expect(p, name).toBeGreaterThan(0.04);
      expect(Math.max(...cases.map((c) => c.shapes.Sk))).toBeGreaterThan(200);
      expect(Math.max(...cases.map((c) => c.shapes.D))).toBeGreaterThan(128);
    },
  );

  it('keeps each large case cheap: B <= 2, the score matrix and the head dims within their budgets', () => {
    for (const c of large) {
      const { B, Hq, Sq, Sk, D, Dv } = c.shapes;
      expect(B).toBeLessThanOrEqual(2);
      expect(B * Hq * Sq * Sk).toBeLessThanOrEqual(SCORE_BUDGET);
      if (D > 1 || Dv > 1) expect(caseCost(c.shapes), JSON.stringify(c.shapes)).toBeLessThanOrEqual(COST_BUDGET);
      // The built-in flash runs a long case in at most 2 tiles a side.
      if (Sq > 16) expect(c.blocks.Br).toBeGreaterThanOrEqual(Math.ceil(Sq / 2));
      if (Sk > 16) expect(c.blocks.Bc).toBeGreaterThanOrEqual(Math.ceil(Sk / 2));
    }
  });

  it('aims lengths at the edges of declared tiles (k·Br ± 1, k·Bc ± 1)', () => {
    // 50 and 36 are off the 16-grid, so their edges are the tiles' alone (kept off the grid's edges).
    const onEdge = (S: number, T: number) => S > 16 && [1, 0, T - 1].includes(S % T) && ![0, 1, 15].includes(S % 16);
    const aimed = fc.sample(attentionCase({ tiles: { Br: 36, Bc: 50 } }), { numRuns: 600, seed: 22 });
    const sk = (xs: readonly AttentionCase[]) => share(xs, (c) => onEdge(c.shapes.Sk, 50));
    const sq = (xs: readonly AttentionCase[]) => share(xs, (c) => onEdge(c.shapes.Sq, 36));
    expect(sk(aimed)).toBeGreaterThan(0.03);
    expect(sq(aimed)).toBeGreaterThan(0.01);
    expect(sk(aimed)).toBeGreaterThan(3 * sk(cases));
    expect(sq(aimed)).toBeGreaterThan(3 * sq(cases));
  });

  it('reaches caches up to 4096 keys in the deep profile, for decode only', () => {
    const deep = fc.sample(attentionCase(SIZE_PROFILES.deep), { numRuns: 600, seed: 23 });
    expect(Math.max(...deep.map((c) => c.shapes.Sk))).toBeGreaterThan(1024);
    for (const c of deep) if (c.shapes.Sk > 256) expect(c.shapes.Sq).toBe(1);
    expect(Math.max(...cases.map((c) => c.shapes.Sk))).toBeLessThanOrEqual(256);
  });

  it('shrinks a failure that needs 65 keys to 65 and one that needs 129 to 129, not to 129 or 257', () => {
    for (const need of [65, 129]) {
      const r = fc.check(
        fc.property(attentionCase(), (c) => c.shapes.Sk < need),
        { seed: SEED, numRuns: 2000 },
      );
      expect(r.failed).toBe(true);
      expect(r.counterexample![0].shapes.Sk).toBe(need);
    }
  });

  it('draws the new value distributions, and finite junk only unless NaN is asked for', () => {
    expect(share(cases, (c) => c.values === 'rising')).toBeGreaterThan(0.03);
    expect(cases.some((c) => c.values === 'offset')).toBe(true);
    expect(cases.some((c) => c.junk === 'huge')).toBe(true);
    expect(cases.some((c) => c.junk === 'nan')).toBe(false);
    expect(
      fc
        .sample(attentionCase({ junk: ['none', 'huge', 'nan'] }), { numRuns: 200, seed: 24 })
        .some((c) => c.junk === 'nan'),
    ).toBe(true);
  });
});
