/**
 * The tile plan is the contract's visibility cut into tiles: skipped tiles hold no visible pair,
 * unmasked tiles hold only visible pairs, and partial tiles carry exactly the predicate's bits.
 */
import { describe, expect, it } from 'vitest';
import { type AttentionShapes, visibilityPattern } from '../../src/contract/index.js';
import { randomMask, shapesOf } from '../../test/support/flashTesting.js';
import { blockRanges, TilePlan, type TileRestrictions } from './tiles.js';

/** Rebuilds the full [B, Hq, Sq, Sk] pattern from the plan's tiles (bits [B·Hkv, G·R, C]). */
function patternFromTiles(plan: TilePlan, s: AttentionShapes, Br: number, Bc: number): Uint8Array {
  const out = new Uint8Array(s.B * s.Hq * s.Sq * s.Sk);
  const G = s.Hq / s.Hkv;
  for (const [i0, i1] of blockRanges(s.Sq, Br))
    for (const [j0, j1] of blockRanges(s.Sk, Bc)) {
      const t = plan.tile(i0, i1, j0, j1);
      const [R, C] = [i1 - i0, j1 - j0];
      for (let b = 0; b < s.B; b++)
        for (let h = 0; h < s.Hq; h++)
          for (let i = i0; i < i1; i++)
            for (let j = j0; j < j1; j++) {
              // Head n = b·Hkv + kvh holds query heads h = kvh·G + g in its rows: row (b·Hq + h)·R + i.
              const row = (b * s.Hq + h) * R + i - i0;
              const bit = t.kind === 'none' ? 0 : t.kind === 'all' ? 1 : t.bits[row * C + j - j0]!;
              out[((b * s.Hq + h) * s.Sq + i) * s.Sk + j] = bit;
              // The backward reads the same bits transposed per head.
              const [n, r] = [Math.floor(row / (G * R)), row % (G * R)];
              if (t.kind === 'partial') expect(t.bitsT[(n * C + j - j0) * G * R + r]).toBe(bit);
            }
    }
  return out;
}

describe('TilePlan', () => {
  it('blockRanges covers n with a short last block', () => {
    expect(blockRanges(7, 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 7],
    ]);
    expect(blockRanges(4, 16)).toEqual([[0, 4]]);
  });

  const s = shapesOf(2, 4, 2, 7, 5, 1);
  const cases: Array<[string, TileRestrictions]> = [
    ['top-left', { causal: 'top-left', window: null, keyLengths: null, paddingSide: 'right', mask: null }],
    [
      'bottom-right + window',
      { causal: 'bottom-right', window: [1, 2], keyLengths: null, paddingSide: 'right', mask: null },
    ],
    ['left padding', { causal: 'none', window: null, keyLengths: [2, 5], paddingSide: 'left', mask: null }],
    [
      'per-head mask + right padding',
      {
        causal: 'none',
        window: [-1, 0],
        keyLengths: [4, 0],
        paddingSide: 'right',
        mask: randomMask([2, 4, 7, 5], 't', 0.5),
      },
    ],
    [
      'broadcast mask',
      {
        causal: 'top-left',
        window: null,
        keyLengths: null,
        paddingSide: 'right',
        mask: randomMask([1, 1, 7, 5], 'u', 0.5),
      },
    ],
  ];
  for (const [name, r] of cases) {
    it(`tiles reproduce the contract's visibility exactly: ${name}`, () => {
      const want = visibilityPattern(r, s);
      for (const [Br, Bc] of [
        [1, 1],
        [2, 3],
        [3, 2],
        [16, 16],
      ] as const) {
        expect(patternFromTiles(new TilePlan(r, s), s, Br, Bc), `Br=${Br} Bc=${Bc}`).toEqual(want);
      }
    });
  }

  it('skips the key blocks past the causal diagonal', () => {
    const r: TileRestrictions = {
      causal: 'bottom-right',
      window: null,
      keyLengths: null,
      paddingSide: 'right',
      mask: null,
    };
    const plan = new TilePlan(r, { B: 1, Hq: 1, Hkv: 1, Sq: 4, Sk: 4 });
    expect(plan.tile(0, 2, 2, 4).kind).toBe('none');
    expect(plan.tile(2, 4, 0, 2).kind).toBe('all');
    expect(plan.tile(0, 2, 0, 2).kind).toBe('partial');
    // The two diagonal tiles have the same pattern: one set of bits, built once.
    expect(plan.tile(2, 4, 2, 4)).toBe(plan.tile(0, 2, 0, 2));
  });
});
