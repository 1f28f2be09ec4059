import { describe, expect, it } from 'vitest';
import { defaultOptions, type KvCache } from '../contract/index.js';
import { randomTensor, seededRng } from './gradcheck.js';
import { referenceAttentionForward, referenceDecode } from './index.js';

describe('referenceDecode', () => {
  // One row of 5 keys (Hkv = 1, D = Dv = 2) and a query of 2 rows, as a contiguous cache of 7 slots
  // and as pages of 2 lanes placed [3, 0, 2] in a pool of 4 pages (page 1 unused); NaN everywhere else.
  const rng = seededRng('decode');
  const q = randomTensor(rng, [1, 1, 2, 2]);
  const keys = randomTensor(rng, [1, 1, 5, 2]);
  const vals = randomTensor(rng, [1, 1, 5, 2]);
  const contiguous = (t: { data: Float64Array }) => ({
    shape: [1, 1, 7, 2],
    data: Float64Array.from([...t.data, NaN, NaN, NaN, NaN]),
  });
  const pages = [3, 0, 2];
  const paged = (t: { data: Float64Array }) => {
    const data = new Float64Array(4 * 2 * 1 * 2).fill(NaN);
    for (let j = 0; j < 5; j++)
      data.set(t.data.subarray(j * 2, j * 2 + 2), (pages[Math.floor(j / 2)]! * 2 + (j % 2)) * 2);
    return { shape: [4, 2, 1, 2], data };
  };
  const caches: KvCache[] = [
    { kind: 'contiguous', k: contiguous(keys), v: contiguous(vals) },
    { kind: 'paged', kPages: paged(keys), vPages: paged(vals), blockTable: [pages] },
  ];

  it('reads only the first cacheSeqlens keys, contiguous or paged: attention over them, bottom-right causal', () => {
    for (const causal of [false, true]) {
      const want = referenceAttentionForward(
        { q, k: keys, v: vals },
        { ...defaultOptions({ D: 2 }), causal: causal ? 'bottom-right' : 'none' },
      ).out;
      for (const cache of caches) {
        const got = referenceDecode(q, cache, [5], { scale: 1 / Math.sqrt(2), causal });
        expect(Array.from(got.data)).toEqual(Array.from(want.data));
      }
    }
  });

  it('a row with no key in the cache gives 0', () => {
    for (const cache of caches)
      expect(Array.from(referenceDecode(q, cache, [0], { scale: 1, causal: true }).data)).toEqual([0, 0, 0, 0]);
  });
});
