import { describe, expect, it } from 'vitest';
import { binomialAcceptance } from './binomial.js';

describe('binomialAcceptance', () => {
  it(
    "is the exact two-sided test's acceptance region (R: binom.test(5, 20) p = 0.041, binom.test(6, 20) " +
      'p = 0.115)',
    () => {
      expect(binomialAcceptance(20, 0.5, 0.05)).toEqual([6, 14]);
    },
  );
  it('is asymmetric when p is not 1/2, and accepts the certain counts of p = 0 and p = 1', () => {
    const [lo, hi] = binomialAcceptance(100, 0.1, 1e-6);
    expect(lo).toBe(0); // P(X = 0) = 0.9^100 = 2.7e-5 >= 1e-6
    expect(hi).toBeGreaterThan(20);
    expect(hi).toBeLessThan(35);
    expect(binomialAcceptance(7, 0, 1e-6)).toEqual([0, 0]);
    expect(binomialAcceptance(7, 1, 1e-6)).toEqual([7, 7]);
  });
  it('matches the normal approximation for large n (about 4.9 standard deviations at alpha 1e-6)', () => {
    const [lo, hi] = binomialAcceptance(10_000, 0.5, 1e-6);
    expect((hi - 5000) / 50).toBeCloseTo(4.9, 1);
    expect(5000 - lo).toBe(hi - 5000);
  });
});
