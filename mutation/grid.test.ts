import { describe, expect, it } from 'vitest';
import { parseCase, parseDecodeCase } from '../src/index.js';
import {
  attentionPoints,
  crossProduct,
  decodePoints,
  GRID_BATCHES,
  GRID_HEAD_DIMS,
  GRID_HEADS,
  GRID_LENGTHS,
  gridCases,
  gridSize,
  shuffled,
} from './grid.js';

const distinct = (xs: readonly unknown[]) => new Set(xs.map((x) => JSON.stringify(x))).size;

describe('the mutation grid', () => {
  it('is the stated cross product: batch x heads x GQA x Sq x Sk x head dim x causal, every point once', () => {
    const points = attentionPoints();
    expect(points).toHaveLength(2 * 2 * 2 * 8 * 8 * 5 * 2);
    expect(distinct(points)).toBe(points.length);
    expect(new Set(points.map((p) => p.B))).toEqual(new Set(GRID_BATCHES));
    expect(new Set(points.map((p) => p.Hq))).toEqual(new Set(GRID_HEADS));
    expect(new Set(points.map((p) => p.Sq))).toEqual(new Set(GRID_LENGTHS));
    expect(new Set(points.map((p) => p.Sk))).toEqual(new Set(GRID_LENGTHS));
    expect(new Set(points.map((p) => p.D))).toEqual(new Set(GRID_HEAD_DIMS));
    expect(GRID_LENGTHS).toEqual([1, 2, 3, 64, 65, 128, 129, 257]);
    expect(GRID_HEAD_DIMS).toEqual([1, 8, 64, 65, 128]);
    expect(gridSize('attention')).toBe(5120);
    expect(distinct(decodePoints())).toBe(gridSize('decode'));
  });

  it('crossProduct varies the last axis fastest', () => {
    expect(crossProduct<{ a: number; b: string }>({ a: [1, 2], b: ['x', 'y'] })).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
    ]);
  });

  it('runs a fixed order: the first N cases of one shuffle, the same on every call', () => {
    const a = gridCases('attention', 50);
    expect(gridCases('attention', 50)).toEqual(a);
    expect(gridCases('attention', 20)).toEqual(a.slice(0, 20));
    expect(gridCases('attention', 10_000)).toHaveLength(5120);
    expect(shuffled([1, 2, 3, 4, 5], 's')).toEqual(shuffled([1, 2, 3, 4, 5], 's'));
    // shuffled, not the cross product's own order
    expect(a.slice(0, 8).map((c) => c.kind === 'attention' && c.shapes.B)).not.toEqual(Array(8).fill(1));
  });

  it('makes valid cases: float32, default scale, GQA as Hkv = Hq / 2, bottom-right causal', () => {
    for (const c of gridCases('attention', 200)) {
      const parsed = parseCase(c, 'grid');
      expect(parsed).toEqual(c);
      if (c.kind !== 'attention') throw new Error('attention grid made a decode case');
      expect([c.shapes.Hq, c.shapes.Hq / 2]).toContain(c.shapes.Hkv);
      expect(['none', 'bottom-right']).toContain(c.causal);
      expect(c.precision).toBe('float32');
    }
    for (const c of gridCases('decode', 200)) expect(parseDecodeCase(c, 'grid')).toEqual(c);
  });
});
