/**
 * The case stream of a campaign: case i is a pure function of (campaign seed, i), so any machine
 * can run any part of the stream and get the same cases, and a case is found again from two
 * numbers.
 *
 *   target     i mod T                      (T = the campaign's kernel x suite pairs, in order)
 *   round      floor(i / T)                 (one case of every target)
 *   shard      round mod n                  (shard k of n runs the rounds k, k + n, k + 2n, ...)
 *   address    { seed: mix(seed, i), path: BIAS_PATHS[round mod 3] }
 *   case       fast-check's value at that address of the target suite's arbitrary: exactly
 *              the case `search({ seed, path, numRuns: 1 })` starts from, so a failing case is
 *              shrunk by the one search (src/runner), not by a copy of it
 *
 * Shards split by rounds, not by cases, so every shard runs every target whatever T and n are
 * (i mod n would give shard 0 only target 0 when T = n = 2). Shards 0..n-1 together run exactly
 * the cases of the unsharded campaign: the rounds are a partition.
 *
 * Why a path: fast-check draws the value at run r with a bias toward small values that fades
 * with r (1 in 2 + floor(log10(r + 1)) integers from the biased range). A `check` of a few
 * thousand cases sees every level; a campaign of independent one-case streams would see only the
 * strongest. Paths 0, 9 and 99 cycle the first three levels (reaching run 999 costs about 1 ms of
 * fast-check's jumps per case, more than the bias is worth).
 */
import fc from 'fast-check';
import type { AnyCase, SuiteName } from '../runner/index.js';

/** Where case i of a campaign is in fast-check's terms: `fc.check(..., { seed, path })` replays it. */
export interface CaseAddress {
  readonly seed: number;
  readonly path: string;
}

export interface Shard {
  /** 0-based. */
  readonly index: number;
  readonly count: number;
}

export const WHOLE: Shard = { index: 0, count: 1 };

const BIAS_PATHS = ['0', '9', '99'] as const;

/** murmur3's 32-bit finaliser: every input bit flips about half the output bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The fast-check seed of case i: a non-negative 31-bit integer (readable in a replay line). */
export function caseSeed(seed: number, i: number): number {
  const lo = i >>> 0;
  const hi = Math.floor(i / 2 ** 32) >>> 0;
  return fmix32(fmix32(seed >>> 0) ^ fmix32(lo + 0x9e3779b9) ^ Math.imul(fmix32(hi), 0x27d4eb2f)) & 0x7fffffff;
}

export function caseAddress(seed: number, i: number, targets: number): CaseAddress {
  return { seed: caseSeed(seed, i), path: BIAS_PATHS[Math.floor(i / targets) % BIAS_PATHS.length]! };
}

export const targetOf = (i: number, targets: number): number => i % targets;

export const shardOf = (i: number, targets: number, shards: number): number => Math.floor(i / targets) % shards;

/**
 * The case indices of a shard in order, below `limit` (the campaign's --runs) if given; `skip`
 * says which targets no longer run (a target stopped after repeated timeouts).
 */
export function* shardCases(
  shard: Shard,
  targets: number,
  limit = Infinity,
  skip: (target: number) => boolean = () => false,
): Generator<number> {
  for (let round = shard.index; round * targets < limit; round += shard.count)
    for (let t = 0; t < targets; t++) {
      const i = round * targets + t;
      if (i >= limit) return;
      if (!skip(t)) yield i;
    }
}

/** The case at an address of an arbitrary: fast-check's own value there (see the header). */
export function caseAt<C extends AnyCase>(arbitrary: fc.Arbitrary<C>, a: CaseAddress): C {
  return fc.sample(arbitrary, { seed: a.seed, path: a.path, numRuns: 1 })[0]!;
}

/**
 * A kernel x suite pair of a campaign; `kernel` is a built-in name or a module path, `constraints`
 * the suite's case constraints for it (the size profile; a kernel's tiles), as `check` uses them.
 */
export interface Target {
  readonly kernel: string;
  readonly suite: SuiteName;
  readonly constraints?: unknown;
}

export const targetName = (t: Target): string => `${t.kernel} (${t.suite})`;
