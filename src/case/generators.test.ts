import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEED } from '../../properties/support/profile.js';
import { visible } from '../contract/index.js';
import { materialiseAttention, materialiseDecode } from '../data/index.js';
import { COST_BUDGET, caseCost, SCORE_BUDGET, SIZE_PROFILES } from './_internals/schedule.js';
import { admitsDecodeCase, attentionCase, decodeCase, loraCase, resolveDecodeConstraints } from './generators.js';
import { parseCase, parseDecodeCase, parseLoraCase } from './schema.js';
import type { AttentionCase } from './types.js';

/** True iff some (b, h, i) of the case sees no key at all. */
function hasEmptyRow(c: AttentionCase): boolean {
  const { shapes, options } = materialiseAttention(c);
  for (let b = 0; b < shapes.B; b++)
    for (let h = 0; h < shapes.Hq; h++)
      for (let i = 0; i < shapes.Sq; i++) {
        let any = false;
        for (let j = 0; j < shapes.Sk && !any; j++) any = visible(options, shapes, b, h, i, j);
        if (!any) return true;
      }
  return false;
}

describe('attentionCase', () => {
  it('produces the same sequence of cases given the same seed', () => {
    const a = fc.sample(attentionCase(), { numRuns: 30, seed: 42 });
    const b = fc.sample(attentionCase(), { numRuns: 30, seed: 42 });
    const c = fc.sample(attentionCase(), { numRuns: 30, seed: 43 });
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('generates cases the schema accepts, that survive JSON, and materialise with the right shapes', () => {
    fc.assert(
      fc.property(attentionCase(), (c) => {
        expect(parseCase(JSON.parse(JSON.stringify(c)))).toEqual(c);
        const { B, Hq, Hkv, Sq, Sk, D, Dv } = c.shapes;
        const { inputs, options } = materialiseAttention(c);
        expect(inputs.q.shape).toEqual([B, Hq, Sq, D]);
        expect(inputs.k.shape).toEqual([B, Hkv, Sk, D]);
        expect(inputs.v.shape).toEqual([B, Hkv, Sk, Dv]);
        expect(inputs.dOut.shape).toEqual([B, Hq, Sq, Dv]);
        expect(inputs.q.data.length).toBe(B * Hq * Sq * D);
        if (options.mask)
          expect(options.mask.shape).toEqual([c.mask!.broadcastBatch ? 1 : B, c.mask!.broadcastHeads ? 1 : Hq, Sq, Sk]);
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('reaches the corners where bugs live', () => {
    const cases = fc.sample(attentionCase(), { numRuns: 500, seed: 11 });
    const share = (f: (c: AttentionCase) => boolean): number => cases.filter(f).length / cases.length;
    const s = (c: AttentionCase) => c.shapes;
    const corners: Record<string, number> = {
      'Sq = 1': share((c) => s(c).Sq === 1),
      'Sq > Sk': share((c) => s(c).Sq > s(c).Sk),
      'Sq < Sk': share((c) => s(c).Sq < s(c).Sk),
      'GQA ratio > 1': share((c) => s(c).Hq > s(c).Hkv),
      'Dv != D': share((c) => s(c).Dv !== s(c).D),
      'D not a multiple of 8': share((c) => s(c).D % 8 !== 0),
      'unpadded, causal, no mask': share((c) => c.keyLengths === null && c.causal !== 'none' && c.mask === null),
      padded: share((c) => c.keyLengths !== null),
      'an empty row': share(hasEmptyRow),
      'non-default scale': share((c) => c.scale !== null),
      'Sq = Br + 1': share((c) => s(c).Sq === c.blocks.Br + 1),
      'Sk = Bc - 1': share((c) => s(c).Sk === c.blocks.Bc - 1),
      'prime Sk > 3': share((c) => [5, 7, 11].includes(s(c).Sk)),
      mask: share((c) => c.mask !== null),
      dropout: share((c) => c.dropout !== null),
      window: share((c) => c.window !== null),
      'not float32': share((c) => c.precision !== 'float32'),
      'not BHSD': share((c) => c.layout !== 'BHSD'),
      junk: share((c) => c.junk !== 'none'),
    };
    for (const [name, p] of Object.entries(corners)) expect(p, name).toBeGreaterThan(0.05);
    // Unpadded as often as padded (within sampling noise).
    expect(Math.abs(corners.padded! - 0.5)).toBeLessThan(0.08);
    // Every GQA ratio of Hq = 4 appears.
    const ratios = new Set(cases.filter((c) => s(c).Hq === 4).map((c) => s(c).Hq / s(c).Hkv));
    expect([...ratios].sort()).toEqual([1, 2, 4]);
  });

  it('shrinks a failure to the simplest case that still fails', () => {
    const r = fc.check(
      fc.property(attentionCase(), (c) => !(c.shapes.Sq >= 3 && c.causal === 'top-left')),
      { seed: 5, numRuns: 1000 },
    );
    expect(r.failed).toBe(true);
    const [c] = r.counterexample!;
    expect(c.shapes).toMatchObject({ B: 1, Hq: 1, Hkv: 1, Sq: 3, Sk: 1, D: 1, Dv: 1 });
    expect(c).toMatchObject({
      causal: 'top-left',
      mask: null,
      dropout: null,
      window: null,
      keyLengths: null,
      scale: null,
    });
    expect(c).toMatchObject({ precision: 'float32', layout: 'BHSD', values: 'small-int', junk: 'none' });
  });

  it('honours pinned fields and restricted choices', () => {
    const arb = attentionCase({
      fixed: { causal: 'bottom-right', shapes: { Hkv: 2, Sq: 1 } },
      precisions: ['bfloat16'],
      layouts: ['strided'],
      allowMask: false,
      maxSeq: 5,
    });
    for (const c of fc.sample(arb, { numRuns: 100, seed: 3 })) {
      parseCase(c);
      expect(c.causal).toBe('bottom-right');
      expect(c.shapes.Hkv).toBe(2);
      expect(c.shapes.Sq).toBe(1);
      expect(c.shapes.Sk).toBeLessThanOrEqual(5);
      expect(c.precision).toBe('bfloat16');
      expect(c.layout).toBe('strided');
      expect(c.view).toBeDefined();
      expect(c.mask).toBeNull();
    }
  });

  it('rejects bad constraints with a message naming the constraint', () => {
    expect(() => attentionCase({ maxSeq: 0 })).toThrow(
      'attentionCase: constraints.maxSeq: must be an integer >= 1, got 0',
    );
    expect(() => attentionCase({ precisions: [] })).toThrow('attentionCase: constraints.precisions: must not be empty');
    expect(() => attentionCase({ layouts: ['BHDS' as never] })).toThrow('constraints.layouts: has unknown ["BHDS"]');
    expect(() => attentionCase({ fixed: { shapes: { Hq: 4, Hkv: 3 } } })).toThrow('Hq=4 is not a multiple of Hkv=3');
    expect(() => attentionCase({ fixed: { keyLengths: [1] } })).toThrow(
      'fixed.keyLengths: needs fixed shapes.B and shapes.Sk',
    );
    expect(() => attentionCase({ maxSeqq: 3 } as never)).toThrow('attentionCase: constraints.maxSeqq: unknown field');
    expect(() => loraCase({ maxRank: 0 })).toThrow('loraCase: constraints.maxRank: must be an integer >= 1, got 0');
  });
});

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

describe('loraCase', () => {
  it('generates cases the schema accepts, deterministically', () => {
    const a = fc.sample(loraCase(), { numRuns: 100, seed: 9 });
    expect(fc.sample(loraCase(), { numRuns: 100, seed: 9 })).toEqual(a);
    for (const c of a) expect(parseLoraCase(JSON.parse(JSON.stringify(c)))).toEqual(c);
    expect(a.some((c) => c.bZero === true)).toBe(true);
    expect(a.some((c) => c.rslora)).toBe(true);
    expect(a.some((c) => c.dropout !== null)).toBe(true);
  });

  it('shrinks to rank 1 and one row', () => {
    const r = fc.check(
      fc.property(loraCase(), (c) => c.in < 3),
      { seed: 1 },
    );
    expect(r.counterexample![0]).toMatchObject({ rank: 1, N: 1, in: 3, out: 1, dropout: null, precision: 'float32' });
  });
});

describe('decodeCase', () => {
  const sample = fc.sample(decodeCase(), { numRuns: 300, seed: SEED });
  it('generates cases the schema and its constraints accept, that survive JSON, deterministically', () => {
    expect(fc.sample(decodeCase(), { numRuns: 300, seed: SEED })).toEqual(sample);
    const k = resolveDecodeConstraints();
    for (const c of sample) {
      expect(parseDecodeCase(JSON.parse(JSON.stringify(c)))).toEqual(c);
      expect(admitsDecodeCase(k, c)).toBe(true);
    }
  });
  it(
    'reaches the corners: page sizes that do not divide a length, unused pages, empty rows, GQA, causal with ' +
      'Sq > 1, every precision',
    () => {
      const paged = sample.flatMap((c) => (c.cache.kind === 'paged' ? [{ c, P: c.cache.pageSize }] : []));
      expect(paged.filter(({ c, P }) => c.cacheSeqlens.some((l) => l % P !== 0)).length).toBeGreaterThan(
        sample.length / 4,
      );
      expect(paged.some(({ c }) => c.cache.kind === 'paged' && c.cache.unusedPages > 0)).toBe(true);
      expect(sample.some((c) => c.cache.kind === 'contiguous')).toBe(true);
      expect(sample.some((c) => c.cacheSeqlens.includes(0))).toBe(true);
      expect(sample.some((c) => c.shapes.Hq > c.shapes.Hkv)).toBe(true);
      expect(sample.some((c) => c.causal && c.shapes.Sq > 1)).toBe(true);
      expect(new Set(sample.map((c) => c.precision)).size).toBe(3);
    },
  );
  it('writes NaN in every slot no query may read and nowhere else', () => {
    for (const c of sample.slice(0, 50)) {
      const m = materialiseDecode(c);
      const kT = m.cache.kind === 'contiguous' ? m.cache.k : m.cache.kPages;
      const finite = kT.data.filter(Number.isFinite).length;
      expect(finite).toBe(c.cacheSeqlens.reduce((a, l) => a + l, 0) * c.shapes.Hkv * c.shapes.D);
    }
  });
  it('shrinks toward a contiguous cache, one row, short rows, one query, no GQA, not causal, float32', () => {
    const r = fc.check(
      fc.property(decodeCase(), (c) => !(c.cacheSeqlens.some((l) => l >= 3) && c.precision !== 'float32')),
      { seed: SEED },
    );
    // Lengths shrink in place: the one that must be >= 3 may stay in row 1 (the search's structural pass keeps that row
    // alone).
    const c = r.counterexample![0];
    expect(c).toMatchObject({
      cache: { kind: 'contiguous', extraSlots: 0 },
      shapes: { Hq: 1, Hkv: 1, Sq: 1, D: 1, Dv: 1 },
      causal: false,
      scale: null,
    });
    expect(c.cacheSeqlens.at(-1)).toBe(3);
    expect(c.cacheSeqlens.slice(0, -1).every((l) => l === 1)).toBe(true);
    const paged = fc.check(
      fc.property(
        decodeCase(),
        (c) =>
          c.cache.kind !== 'paged' || c.cacheSeqlens.every((l) => l % (c.cache as { pageSize: number }).pageSize === 0),
      ),
      { seed: SEED },
    );
    expect(paged.counterexample![0]).toMatchObject({
      cache: { kind: 'paged', pageSize: 2, unusedPages: 0 },
      shapes: { B: 1, Sq: 1 },
      cacheSeqlens: [1],
      precision: 'float32',
    });
  });
});
