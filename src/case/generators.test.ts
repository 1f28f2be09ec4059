/**
 * `attentionCase`: deterministic per seed, valid by the schema, reaches the corners where bugs live,
 * shrinks to the simplest failing case, honours its constraints. The size schedule:
 * _internals/schedule.test.ts; LoRA and decode cases: loraCase.test.ts, decodeCase.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { structurallyVisible, visible } from '../contract/index.js';
import { materialiseAttention } from '../data/index.js';
import { attentionCase, loraCase } from './generators.js';
import { parseCase } from './schema.js';
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

  it('draws windows that hide a key wherever the lengths let one be hidden, most of the time', () => {
    // A window wider than the case is no window: it cannot show that a kernel honours it (mutation
    // testing found eager dropping a one-sided window that half the drawn windows never exercised).
    const cases = fc.sample(attentionCase(), { numRuns: 3000, seed: 11 });
    const hides = (c: AttentionCase) => {
      const alone = { causal: 'none' as const, window: c.window, keyLengths: null, paddingSide: c.paddingSide };
      for (let i = 0; i < c.shapes.Sq; i++)
        for (let j = 0; j < c.shapes.Sk; j++) if (!structurallyVisible(alone, c.shapes, 0, i, j)) return true;
      return false;
    };
    const canHide = (c: AttentionCase) =>
      c.window !== null && ((c.window[0] >= 0 && c.shapes.Sk >= 2) || (c.window[1] >= 0 && c.shapes.Sq >= 2));
    const windowed = cases.filter(canHide);
    expect(windowed.length).toBeGreaterThan(200);
    expect(windowed.filter(hides).length / windowed.length).toBeGreaterThan(0.7);
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
