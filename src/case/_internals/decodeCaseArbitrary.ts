/**
 * The engine behind `decodeCase`: independent primitives, so each shrinks on its own toward the
 * simplest decode call: a contiguous cache before a paged one, one batch row, shorter rows, one
 * query, no GQA, not causal, the default scale, float32, small head dims.
 *
 * Page sizes are drawn independently of the lengths, so they often do not divide them (a last page
 * with padding lanes, where flashinfer#3716 read); a page size of 1 divides every length, so a
 * failure that needs padding shrinks to 2, not 1. Lengths of 0 (an empty row) come 1 time in 8.
 */
import fc from 'fast-check';
import type { ResolvedDecodeConstraints } from '../constraints.js';
import { CASE_VERSION, type DecodeCacheSpec, type DecodeCase } from '../types.js';
import { SCALES, scaleForHeadDim } from './attentionDraws.js';
import { divisorsDescending, seed } from './biased.js';

function cacheOf(k: ResolvedDecodeConstraints): fc.Arbitrary<DecodeCacheSpec> {
  const contiguous = fc.record({
    kind: fc.constant('contiguous' as const),
    extraSlots: fc.integer({ min: 0, max: k.maxUnused }),
  });
  const paged = fc.record({
    kind: fc.constant('paged' as const),
    pageSize: fc.integer({ min: 1, max: k.maxPageSize }),
    unusedPages: fc.integer({ min: 0, max: k.maxUnused }),
    permutation: seed(),
  });
  const arbs = {
    contiguous: { arbitrary: contiguous as fc.Arbitrary<DecodeCacheSpec>, weight: 1 },
    paged: { arbitrary: paged as fc.Arbitrary<DecodeCacheSpec>, weight: 2 },
  };
  // Contiguous first: a paged cache shrinks to a contiguous one when the failure does not need pages.
  return fc.oneof({ withCrossShrink: true }, ...k.caches.map((c) => arbs[c]));
}

export function buildDecodeCaseArbitrary(k: ResolvedDecodeConstraints): fc.Arbitrary<DecodeCase> {
  const seqlen = fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.integer({ min: Math.min(1, k.maxSeqlen), max: k.maxSeqlen }), weight: 7 },
    { arbitrary: fc.constant(0), weight: 1 },
  );
  return fc
    .record({
      cache: cacheOf(k),
      B: fc.integer({ min: 1, max: k.maxBatch }),
      // One length per possible row; the case keeps the first B (they shrink one by one).
      seqlens: fc.array(seqlen, { minLength: k.maxBatch, maxLength: k.maxBatch }),
      Sq: fc.integer({ min: 1, max: k.maxQueries }),
      Hq: fc.integer({ min: 1, max: k.maxHeads }),
      hkvIndex: fc.integer({ min: 0, max: k.maxHeads - 1 }),
      D: fc.integer({ min: 1, max: k.maxHeadDim }),
      Dv: fc.option(fc.integer({ min: 1, max: k.maxHeadDim }), { nil: null, freq: 2 }),
      causal: k.allowCausal ? fc.boolean() : fc.constant(false),
      scale: k.allowScale ? fc.option(fc.constantFrom(...SCALES), { nil: null, freq: 2 }) : fc.constant(null),
      precision: fc.constantFrom(...k.precisions),
      seed: seed(),
    })
    .map((p): DecodeCase => {
      // Hkv among the divisors of Hq, index 0 = Hq itself (no GQA, the simplest).
      const divisors = divisorsDescending(p.Hq);
      const Hkv = divisors[p.hkvIndex % divisors.length]!;
      const scale = scaleForHeadDim(p.scale, p.D);
      return {
        version: CASE_VERSION,
        kind: 'decode',
        shapes: { B: p.B, Hq: p.Hq, Hkv, Sq: p.Sq, D: p.D, Dv: p.Dv ?? p.D },
        cacheSeqlens: p.seqlens.slice(0, p.B),
        cache: p.cache,
        causal: p.causal,
        scale,
        precision: p.precision,
        seed: p.seed,
      };
    });
}
