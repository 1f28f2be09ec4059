/**
 * Public builders of fast-check arbitraries for cases: `attentionCase(constraints)`,
 * `loraCase(constraints)` and `decodeCase(constraints)` (KV-cache decode). The constraints are checked here, once; the
 * engines live in
 * `_internals/`.
 *
 *   fc.assert(fc.property(attentionCase({ maxSeq: 8, fixed: { causal: 'top-left' } }), (c) => ...))
 *
 * Generated cases are biased toward where bugs live (lengths 1, block edges, primes, Sq != Sk
 * both ways, decode Sq = 1, odd head dims, Dv != D, every GQA ratio, unpadded as often as padded,
 * empty rows, non-default scales), a quarter of them sized like real kernels' calls (lengths on
 * tile edges up to 256, caches up to `maxCache`, the head dims kernels specialise for: see
 * _internals/schedule.ts), most with values that give every output and gradient clearly non-zero,
 * and shrink toward the simplest case: sizes 1, no mask, window, padding or dropout, default scale,
 * BHSD, float32, small-integer values, no junk.
 */
import type fc from 'fast-check';
import type { Causal, Precision, Tiles } from '../contract/index.js';
import {
  type AttentionCaseFixed,
  buildAttentionCaseArbitrary,
  type ResolvedAttentionConstraints,
} from './_internals/attentionCaseArbitrary.js';
import { buildDecodeCaseArbitrary, type ResolvedDecodeConstraints } from './_internals/decodeCaseArbitrary.js';
import {
  buildLoraCaseArbitrary,
  type LoraCaseFixed,
  type ResolvedLoraConstraints,
} from './_internals/loraCaseArbitrary.js';
import { parseAttentionConstraints, parseDecodeConstraints, parseLoraConstraints } from './constraints.js';
import type { AttentionCase, DecodeCacheKind, DecodeCase, Junk, Layout, LoraCase, ValueDistribution } from './types.js';

export type {
  AttentionCaseFixed,
  LoraCaseFixed,
  ResolvedAttentionConstraints,
  ResolvedDecodeConstraints,
  ResolvedLoraConstraints,
};

export interface AttentionCaseConstraints {
  /** Largest batch B. Default 3. */
  readonly maxBatch?: number;
  /** Largest query head count Hq; Hkv is drawn among the divisors of Hq (every GQA ratio). Default 4. */
  readonly maxHeads?: number;
  /** Largest Sq and Sk. Default 256. */
  readonly maxSeq?: number;
  /** Largest Sk of a decode case (Sq = 1). Default maxSeq; 4096 in the 'deep' profile (SIZE_PROFILES). */
  readonly maxCache?: number;
  /** Largest D and Dv. Default 256. */
  readonly maxHeadDim?: number;
  /** Largest Sq, Sk of a small case (most cases). Default 12 (at most maxSeq). */
  readonly smallSeq?: number;
  /** Largest D, Dv of a small case. Default 12 (so most head dims are not a multiple of 8; at most maxHeadDim). */
  readonly smallHeadDim?: number;
  /** Share of large cases (long lengths or real head dims), when the maxima leave room for them. Default 0.25. */
  readonly largeShare?: number;
  /** A kernel's fixed tiles: long lengths are then also aimed at k·Br ± 1 (Sq) and k·Bc ± 1 (Sk). Default null. */
  readonly tiles?: Tiles | null;
  /** Largest freely drawn flash block Br / Bc (most blocks are drawn relative to the length). Default smallSeq + 1. */
  readonly maxBlock?: number;
  /** Precisions to draw, shrinking toward the first in PRECISIONS order. Default all. */
  readonly precisions?: readonly Precision[];
  /** Causal alignments to draw. Default all ('none', 'top-left', 'bottom-right'). */
  readonly causals?: readonly Causal[];
  /** Layouts to draw, shrinking toward 'BHSD' when allowed. Default all. */
  readonly layouts?: readonly Layout[];
  /** Value distributions, shrinking toward 'small-int' when allowed. Default all. */
  readonly values?: readonly ValueDistribution[];
  /**
   * Junk at invisible keys, shrinking toward 'none' when allowed. Default FINITE_JUNK ('none',
   * 'huge'): NaN only for kernels that never read unseen keys (the runner adds it for those).
   */
  readonly junk?: readonly Junk[];
  /** Draw boolean masks (1 case in 3). Default true. */
  readonly allowMask?: boolean;
  /** Draw dropout (1 case in 4). Default true. */
  readonly allowDropout?: boolean;
  /** Draw sliding windows (1 case in 4). Default true. */
  readonly allowWindow?: boolean;
  /** Draw keyLengths padding (1 case in 2). Default true. */
  readonly allowPadding?: boolean;
  /** Draw non-default scales (1 case in 2; else null = 1/sqrt(D)). Default true. */
  readonly allowScale?: boolean;
  /**
   * Draw the score options (each 1 case in 3, shrinking to off): softcap, ALiBi slopes, a float
   * bias, sinks. Default false: a kernel gets them when it declares them (`features`), which the
   * runner fills in for it (src/runner/suites/attentionKernel.ts `aimAttention`).
   */
  readonly allowSoftcap?: boolean;
  readonly allowAlibi?: boolean;
  readonly allowBias?: boolean;
  readonly allowSinks?: boolean;
  /** Fields pinned to a value, e.g. { causal: 'top-left', shapes: { B: 1 } }. Default {}. */
  readonly fixed?: AttentionCaseFixed;
}

export interface LoraCaseConstraints {
  /** Largest row count N of x. Default 4. */
  readonly maxN?: number;
  /** Largest input and output features. Default 8. */
  readonly maxFeatures?: number;
  /** Largest rank r. Default 4. */
  readonly maxRank?: number;
  /** Default all. */
  readonly precisions?: readonly Precision[];
  /** Draw adapter dropout (1 case in 4). Default true. */
  readonly allowDropout?: boolean;
  /** Draw bZero = true, B all zeros as at initialisation (1 case in 2). Default true. */
  readonly allowBZero?: boolean;
  /** Fields pinned to a value. Default {}. */
  readonly fixed?: LoraCaseFixed;
}

export interface DecodeCaseConstraints {
  /** Largest batch B. Default 3. */
  readonly maxBatch?: number;
  /** Largest query head count Hq; Hkv is drawn among its divisors. Default 4. */
  readonly maxHeads?: number;
  /** Largest Sq (new queries per row: 1 for a decode step, more for speculative decoding). Default 3. */
  readonly maxQueries?: number;
  /** Largest cacheSeqlens entry (0 = an empty row is drawn 1 time in 8). Default 20. */
  readonly maxSeqlen?: number;
  /** Largest D and Dv. Default 8. */
  readonly maxHeadDim?: number;
  /** Largest page size, drawn independently of the lengths. Default 8. */
  readonly maxPageSize?: number;
  /** Largest number of unused pages (paged) or slots past the longest row (contiguous). Default 3. */
  readonly maxUnused?: number;
  /** Cache layouts to draw, shrinking toward 'contiguous' when allowed. Default both. */
  readonly caches?: readonly DecodeCacheKind[];
  /** Default all. */
  readonly precisions?: readonly Precision[];
  /** Draw causal (bottom-right within each row, 1 case in 2). Default true. */
  readonly allowCausal?: boolean;
  /** Draw non-default scales (1 case in 2). Default true. */
  readonly allowScale?: boolean;
}

/** An arbitrary of attention cases; see `AttentionCaseConstraints` for the knobs and defaults. */
export function attentionCase(constraints: AttentionCaseConstraints = {}): fc.Arbitrary<AttentionCase> {
  return buildAttentionCaseArbitrary(resolveAttentionConstraints(constraints));
}

/** The constraints with every default filled in, checked once (errors name the constraint). */
export function resolveAttentionConstraints(constraints: AttentionCaseConstraints = {}): ResolvedAttentionConstraints {
  return parseAttentionConstraints(constraints);
}

/**
 * True iff `c` is a case the constraints could have produced (sizes within the maxima, every
 * choice among the allowed ones, pinned fields as pinned): the structural pass after shrinking
 * keeps to it, so a search asked for bfloat16 never reports a float32 case.
 */
export function admitsAttentionCase(k: ResolvedAttentionConstraints, c: AttentionCase): boolean {
  const s = c.shapes;
  const fs = k.fixed.shapes ?? {};
  const { shapes: _s, ...fixedRest } = k.fixed;
  const pinned = Object.entries(fixedRest).every(
    ([key, v]) => JSON.stringify((c as unknown as Record<string, unknown>)[key]) === JSON.stringify(v),
  );
  const pinnedShapes = Object.entries(fs).every(([key, v]) => s[key as keyof typeof s] === v);
  return (
    pinned &&
    pinnedShapes &&
    s.B <= k.maxBatch &&
    s.Hq <= k.maxHeads &&
    s.Sq <= k.maxSeq &&
    s.Sk <= (s.Sq === 1 ? k.maxCache : k.maxSeq) &&
    Math.max(s.D, s.Dv) <= k.maxHeadDim &&
    k.precisions.includes(c.precision) &&
    k.causals.includes(c.causal) &&
    k.layouts.includes(c.layout) &&
    k.values.includes(c.values) &&
    k.junk.includes(c.junk) &&
    (k.allowMask || c.mask === null) &&
    (k.allowDropout || c.dropout === null) &&
    (k.allowWindow || c.window === null) &&
    (k.allowPadding || c.keyLengths === null) &&
    (k.allowScale || c.scale === null) &&
    (k.allowSoftcap || c.softcap == null) &&
    (k.allowAlibi || c.alibi == null) &&
    (k.allowBias || c.bias == null) &&
    (k.allowSinks || c.sinks == null)
  );
}

/** An arbitrary of LoRA cases; see `LoraCaseConstraints` for the knobs and defaults. */
export function loraCase(constraints: LoraCaseConstraints = {}): fc.Arbitrary<LoraCase> {
  return buildLoraCaseArbitrary(resolveLoraConstraints(constraints));
}

export function resolveLoraConstraints(constraints: LoraCaseConstraints = {}): ResolvedLoraConstraints {
  return parseLoraConstraints(constraints);
}

/** True iff `c` is a LoRA case the constraints could have produced. */
export function admitsLoraCase(k: ResolvedLoraConstraints, c: LoraCase): boolean {
  const pinned = Object.entries(k.fixed).every(
    ([key, v]) => JSON.stringify((c as unknown as Record<string, unknown>)[key]) === JSON.stringify(v),
  );
  return (
    pinned &&
    c.N <= k.maxN &&
    Math.max(c.in, c.out) <= k.maxFeatures &&
    c.rank <= k.maxRank &&
    k.precisions.includes(c.precision) &&
    (k.allowDropout || c.dropout === null) &&
    (k.allowBZero || c.bZero !== true)
  );
}

/** An arbitrary of KV-cache decode cases; see `DecodeCaseConstraints` for the knobs and defaults. */
export function decodeCase(constraints: DecodeCaseConstraints = {}): fc.Arbitrary<DecodeCase> {
  return buildDecodeCaseArbitrary(resolveDecodeConstraints(constraints));
}

export function resolveDecodeConstraints(constraints: DecodeCaseConstraints = {}): ResolvedDecodeConstraints {
  return parseDecodeConstraints(constraints);
}

/** True iff `c` is a decode case the constraints could have produced. */
export function admitsDecodeCase(k: ResolvedDecodeConstraints, c: DecodeCase): boolean {
  const s = c.shapes;
  const cache = c.cache;
  return (
    s.B <= k.maxBatch &&
    s.Hq <= k.maxHeads &&
    s.Sq <= k.maxQueries &&
    Math.max(s.D, s.Dv) <= k.maxHeadDim &&
    c.cacheSeqlens.every((len) => len <= k.maxSeqlen) &&
    k.caches.includes(cache.kind) &&
    (cache.kind === 'paged'
      ? cache.pageSize <= k.maxPageSize && cache.unusedPages <= k.maxUnused
      : cache.extraSlots <= k.maxUnused) &&
    k.precisions.includes(c.precision) &&
    (k.allowCausal || !c.causal) &&
    (k.allowScale || c.scale === null)
  );
}
