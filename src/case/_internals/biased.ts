/**
 * Small arbitraries biased toward where attention bugs live, built so that they shrink to the
 * simplest value: a length shrinks toward 1, an optional part toward null.
 */
import fc from 'fast-check';

/** Odd primes in ascending order: lengths that are never a multiple of a power-of-two block (2 is, of 2). */
const PRIMES = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97];

/**
 * A length in [1, max]: any integer, or exactly 1, or a prime. The prime is drawn as an index
 * into the ascending list (not with constantFrom, which only shrinks to its first value), so a
 * prime like 7 still shrinks through 5 to 3 (and to 1 across branches). `oneWeight` (an integer) against 48 for any
 * integer and 16 for a prime: how often the length is exactly 1 (a single key carries no gradient
 * through softmax, so a case with Sk = 1 checks dQ and dK against 0 only).
 */
export function length(max: number, oneWeight = 16): fc.Arbitrary<number> {
  const primes = PRIMES.filter((p) => p <= max);
  // 1 first, with cross shrink: a length from any branch tries 1 before shrinking in its branch.
  // The integer branch starts at 2 (when it can) so that `oneWeight` alone says how often 1 comes.
  const arbs: fc.WeightedArbitrary<number>[] = [
    { arbitrary: fc.constant(1), weight: oneWeight },
    { arbitrary: fc.integer({ min: Math.min(2, max), max }), weight: 48 },
  ];
  if (primes.length > 0)
    arbs.push({ arbitrary: fc.integer({ min: 0, max: primes.length - 1 }).map((n) => primes[n]!), weight: 16 });
  return fc.oneof({ withCrossShrink: true }, ...arbs);
}

/**
 * null most of the time (weight `nullWeight` against 1), else a value of `arb`; shrinks to null
 * first (cross shrink), then within `arb`. fc.option cannot make null the likelier side.
 */
export function rarely<T>(arb: fc.Arbitrary<T>, nullWeight: number): fc.Arbitrary<T | null> {
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant(null), weight: nullWeight },
    { arbitrary: arb, weight: 1 },
  );
}

/**
 * One of `values` with the given weights (a value without one weighs 1), shrinking toward the
 * first: how often a choice is drawn is independent of what it shrinks to.
 */
export function weighted<T>(values: readonly T[], weights: ReadonlyMap<T, number>): fc.Arbitrary<T> {
  return fc.oneof(
    { withCrossShrink: true },
    ...values.map((v) => ({ arbitrary: fc.constant(v), weight: weights.get(v) ?? 1 })),
  );
}

/** Divisors of n in descending order: index 0 is n itself (plain multi-head, the simplest). */
export function divisorsDescending(n: number): number[] {
  const out: number[] = [];
  for (let d = n; d >= 1; d--) if (n % d === 0) out.push(d);
  return out;
}

/** A uint32 seed, shrinking toward 0. */
export const seed = (): fc.Arbitrary<number> => fc.integer({ min: 0, max: 0xffffffff });

/**
 * A block size for a length S, drawn as a relation so that S lands on the block edges:
 *   0: Br = S (one exact block, the simplest)   1: free in [1, maxBlock]
 *   2: Br = S - 1 (S = Br + 1)                  3: Br = S + 1 (S = Br - 1)
 *   4: Br = ceil(S / 2) (a partial second block) 5: Br = floor((S - 1) / 2) (S = 2 Br + 1)
 * A relation that would give a block < 1 falls back to S.
 */
export function blockFor(S: number, relation: number, free: number): number {
  const byRelation = [S, free, S - 1, S + 1, Math.ceil(S / 2), Math.floor((S - 1) / 2)][relation] ?? S;
  return byRelation >= 1 ? byRelation : S;
}
export const BLOCK_RELATIONS = 6;
