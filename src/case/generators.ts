/**
 * Public builders of fast-check arbitraries for cases: `attentionCase(constraints)`,
 * `loraCase(constraints)` and `decodeCase(constraints)` (KV-cache decode). The constraints, their
 * defaults and their checks are declared once, in constraints.ts; the engines live in `_internals/`.
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
import { buildAttentionCaseArbitrary } from './_internals/attentionCaseArbitrary.js';
import { buildDecodeCaseArbitrary } from './_internals/decodeCaseArbitrary.js';
import { buildLoraCaseArbitrary } from './_internals/loraCaseArbitrary.js';
import {
  type AttentionCaseConstraints,
  type DecodeCaseConstraints,
  type LoraCaseConstraints,
  parseAttentionConstraints,
  parseDecodeConstraints,
  parseLoraConstraints,
  type ResolvedAttentionConstraints,
  type ResolvedDecodeConstraints,
  type ResolvedLoraConstraints,
} from './constraints.js';
import type { AttentionCase, DecodeCase, LoraCase } from './types.js';

export type {
  AttentionCaseConstraints,
  AttentionCaseFixed,
  DecodeCaseConstraints,
  LoraCaseConstraints,
  LoraCaseFixed,
  ResolvedAttentionConstraints,
  ResolvedDecodeConstraints,
  ResolvedLoraConstraints,
} from './constraints.js';

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
