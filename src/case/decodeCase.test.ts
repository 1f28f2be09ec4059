/**
 * `decodeCase`: valid by the schema and its constraints, deterministic per seed, NaN in exactly the
 * slots no query may read, and shrinking toward the simplest cache.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEED } from '../../fixtures/profile.js';
import { materialiseDecode } from '../data/index.js';
import { admitsDecodeCase, decodeCase, resolveDecodeConstraints } from './generators.js';
import { parseDecodeCase } from './schema.js';

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
