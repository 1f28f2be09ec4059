import { describe, expect, it } from 'vitest';
import type { HostKernelOptions } from '../../src/contract/index.js';
import { additive, cutKeys, scoreTerms, visibility, visibleWidth } from './masks.js';

const base: HostKernelOptions = {
  scale: 1,
  causal: 'none',
  window: null,
  keyLengths: null,
  paddingSide: 'right',
  mask: null,
  dropout: null,
  precision: 'float32',
};
const s = { B: 2, Hq: 2, Sq: 2, Sk: 4 };
const fold = { causal: true, window: true, keyLengths: true, mask: true };
const rows = (g: { data: ArrayLike<number>; shape: readonly number[] }) =>
  Array.from({ length: g.data.length / g.shape[3]! }, (_, r) =>
    Array.from(g.data)
      .slice(r * g.shape[3]!, (r + 1) * g.shape[3]!)
      .join(''),
  );

describe('folding the contract into masks', () => {
  it('causal alone broadcasts over batch and heads; top-left and bottom-right differ when Sq < Sk', () => {
    expect(visibility({ ...base, causal: 'top-left' }, s, fold)).toMatchObject({ shape: [1, 1, 2, 4] });
    expect(rows(visibility({ ...base, causal: 'top-left' }, s, fold)!)).toEqual(['1000', '1100']);
    expect(rows(visibility({ ...base, causal: 'bottom-right' }, s, fold)!)).toEqual(['1110', '1111']);
    expect(visibility({ ...base, causal: 'top-left' }, s, { ...fold, causal: false })).toBeNull();
  });

  it('key lengths make the batch dim, a per-head mask the head dim', () => {
    const v = visibility({ ...base, keyLengths: [1, 3], paddingSide: 'left' }, s, fold)!;
    expect(v.shape).toEqual([2, 1, 2, 4]);
    expect(rows(v)).toEqual(['0001', '0001', '0111', '0111']);
    const mask = { shape: [1, 2, 2, 4], data: Uint8Array.from('1000010000100001'.split(''), Number) };
    expect(visibility({ ...base, mask }, s, fold)!.shape).toEqual([1, 2, 2, 4]);
  });

  it('ALiBi and bias add up; the additive grid is -inf where invisible; a mask cut keeps the visible keys', () => {
    const terms = scoreTerms({ ...base, alibiSlopes: { shape: [2], data: Float32Array.of(1, 0) } }, s)!;
    expect(Array.from(terms.data.slice(0, 8))).toEqual([-2, -1, 0, -1, -3, -2, -1, 0]);
    const vis = visibility({ ...base, keyLengths: [2, 2] }, s, fold)!;
    const a = additive(vis, terms, s);
    expect(a.shape).toEqual([2, 2, 2, 4]);
    expect(Array.from(a.data.slice(0, 4))).toEqual([-2, -1, -Infinity, -Infinity]);
    expect(visibleWidth(vis)).toBe(2);
    expect(rows(cutKeys(vis, 2))).toEqual(['11', '11', '11', '11']);
  });
});
