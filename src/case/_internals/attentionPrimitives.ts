/**
 * The independent primitives an attention case is mapped from (attentionCaseArbitrary.ts), as one
 * fc.record. Its keys are listed in the order fast-check shrinks them: the options first (toward
 * null), then the enums (toward their first, simplest value), then the sizes (toward 1), seeds
 * last. The groups below are spread into the record in that order; moving a key changes every
 * generated case (the corpus and the tests replay cases by seed).
 */
import fc from 'fast-check';
import type { AttentionShapes } from '../../contract/index.js';
import type { ResolvedAttentionConstraints } from '../constraints.js';
import {
  ALIBI_MAX_SLOPES,
  BIAS_STDS,
  DENSITIES,
  DENSITY_WEIGHTS,
  DROPOUT_P,
  DROPOUT_WEIGHTS,
  K_PICKS,
  Q_PICKS,
  SCALES,
  SINK_MEANS,
  SK_ONE_WEIGHT,
  SOFTCAPS,
  SQ_ONE_WEIGHT,
  VALUE_WEIGHTS,
} from './attentionDraws.js';
import { BLOCK_RELATIONS, length, rarely, seed, weighted } from './biased.js';
import { GRID, headDim, largeLength, tileEdgeLength } from './schedule.js';

type Pinned = Partial<AttentionShapes>;

const pinned = <T>(value: T | undefined, arb: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  value === undefined ? arb : fc.constant(value);

/** Whether the constraints leave room for large cases at all. */
export function allowsLarge(k: ResolvedAttentionConstraints): boolean {
  return k.largeShare > 0 && (k.maxSeq > k.smallSeq || k.maxCache > k.smallSeq || k.maxHeadDim > k.smallHeadDim);
}

/** The primitives of an attention case (see the header). */
export function attentionPrimitives(k: ResolvedAttentionConstraints) {
  const fs = k.fixed.shapes ?? {};
  return fc.record({
    ...scoreOptionDraws(k),
    ...optionDraws(k, fs),
    ...enumDraws(k),
    ...sizeDraws(k, fs),
    seed: seed(),
  });
}

export type AttentionPrimitives = ReturnType<typeof attentionPrimitives> extends fc.Arbitrary<infer P> ? P : never;

/** Softcap, ALiBi, bias, sinks: each 1 case in 3 when allowed. */
function scoreOptionDraws(k: ResolvedAttentionConstraints) {
  return {
    // Off unless allowed (fc.constant draws nothing: the streams of older constraints are unchanged).
    softcap: k.allowSoftcap ? rarely(fc.constantFrom(...SOFTCAPS), 2) : fc.constant(null),
    alibi: k.allowAlibi
      ? rarely(fc.record({ perBatch: fc.boolean(), maxSlope: fc.constantFrom(...ALIBI_MAX_SLOPES), seed: seed() }), 2)
      : fc.constant(null),
    bias: k.allowBias
      ? rarely(
          fc.record({
            perBatch: fc.boolean(),
            perHead: fc.boolean(),
            std: fc.constantFrom(...BIAS_STDS),
            seed: seed(),
          }),
          2,
        )
      : fc.constant(null),
    sinks: k.allowSinks
      ? rarely(fc.record({ mean: fc.constantFrom(...SINK_MEANS), seed: seed() }), 2)
      : fc.constant(null),
  };
}

/** Mask (1 in 4), dropout (1 in 4), window (1 in 5, half of them alone), padding (1 in 2), scale (1 in 2). */
function optionDraws(k: ResolvedAttentionConstraints, fs: Pinned) {
  // A side is unbounded (-1) nearly half the time, so most windows are one-sided ([w, -1] as a
  // sliding window without causal, [-1, w]), and 0 (the diagonal itself) comes often: a kernel
  // whose "is anything masked?" test overlooked a left-only window passed 100 cases when -1 was
  // one value in 14 (mutation testing: docs/mutation.md).
  const side = (max: number) =>
    fc.oneof(
      { withCrossShrink: true },
      { arbitrary: fc.integer({ min: -1, max }), weight: 3 },
      { arbitrary: fc.constant(-1), weight: 3 },
      { arbitrary: fc.constant(0), weight: 1 },
    );
  const windowSide =
    k.maxSeq > k.smallSeq
      ? fc.oneof(
          { withCrossShrink: true },
          { arbitrary: side(k.smallSeq), weight: 3 },
          { arbitrary: tileEdgeLength(GRID, k.maxSeq), weight: 1 },
        )
      : side(k.maxSeq);
  return {
    mask: k.allowMask
      ? rarely(
          fc.record({
            perBatch: fc.boolean(),
            perHead: fc.boolean(),
            density: weighted(DENSITIES, DENSITY_WEIGHTS),
            seed: seed(),
          }),
          3,
        )
      : fc.constant(null),
    dropout: k.allowDropout
      ? rarely(fc.record({ p: weighted(DROPOUT_P, DROPOUT_WEIGHTS), seed: seed() }), 3)
      : fc.constant(null),
    // [left, right, reach]: reach 1..3 (3 windows in 4) brings each bounded side within the case's
    // lengths, so that it hides a key (attentionCaseArbitrary.ts); reach 0 keeps the sides as drawn,
    // often wider than a small case, where the window must change nothing.
    window: k.allowWindow
      ? rarely(fc.tuple(windowSide, windowSide, fc.integer({ min: 0, max: 3 })), 4)
      : fc.constant(null),
    // Half the windows come alone (attentionCaseArbitrary.ts): nothing else restricts a key.
    windowAlone: k.allowWindow ? fc.boolean() : fc.constant(false),
    // Unpadded as often as padded: the founding bug (adapters#721) only showed without padding.
    // Mostly a little padding (a row keeps most of its keys), sometimes any amount.
    pads: k.allowPadding
      ? fc.option(
          fc.tuple(
            ...Array.from({ length: fs.B ?? k.maxBatch }, () =>
              fc.oneof(
                { withCrossShrink: true },
                { arbitrary: fc.integer({ min: 0, max: 1 }), weight: 7 },
                { arbitrary: fc.integer({ min: 0, max: k.maxSeq }), weight: 1 },
              ),
            ),
          ),
          { nil: null, freq: 2 },
        )
      : fc.constant(null),
    paddingSide: fc.constantFrom<'right' | 'left'>('right', 'left'),
    scale: k.allowScale ? fc.option(fc.constantFrom(...SCALES), { nil: null, freq: 2 }) : fc.constant(null),
  };
}

/** Layout (and a strided view), precision, values, junk, causal: among the allowed ones. */
function enumDraws(k: ResolvedAttentionConstraints) {
  return {
    layout: fc.constantFrom(...k.layouts),
    view: fc.record({ offset: fc.integer({ min: 0, max: 4 }), gap: fc.integer({ min: 1, max: 3 }) }),
    precision: fc.constantFrom(...k.precisions),
    values: weighted(k.values, VALUE_WEIGHTS),
    junk: fc.constantFrom(...k.junk),
    causal: fc.constantFrom(...k.causals),
  };
}

/** Small or large (schedule.ts), the small sizes, the large ones, and the blocks. */
function sizeDraws(k: ResolvedAttentionConstraints, fs: Pinned) {
  const large = allowsLarge(k);
  return {
    size: large
      ? weighted(
          ['small', 'large'] as const,
          new Map([
            ['small', Math.round(100 * (1 - k.largeShare))],
            ['large', Math.round(100 * k.largeShare)],
          ]),
        )
      : fc.constant('small' as const),
    B: pinned(fs.B, fc.integer({ min: 1, max: k.maxBatch })),
    Hq: pinned(fs.Hq, fc.integer({ min: 1, max: k.maxHeads })),
    hkvIndex: fc.integer({ min: 0, max: k.maxHeads - 1 }),
    Sq: pinned(fs.Sq, length(k.smallSeq, SQ_ONE_WEIGHT)),
    Sk: pinned(fs.Sk, length(k.smallSeq, SK_ONE_WEIGHT)),
    // Sk = Sq (> 1) a quarter of the time; otherwise independent, so Sq != Sk both ways.
    skIsSq: fc.integer({ min: 0, max: 3 }).map((n) => n === 3),
    D: pinned(fs.D, fc.integer({ min: 1, max: k.smallHeadDim })),
    Dv: fc.option(fc.integer({ min: 1, max: k.smallHeadDim }), { nil: null, freq: 2 }),
    long: large ? longDraws(k) : fc.constant(null),
    brRelation: fc.integer({ min: 0, max: BLOCK_RELATIONS - 1 }),
    bcRelation: fc.integer({ min: 0, max: BLOCK_RELATIONS - 1 }),
    brFree: fc.integer({ min: 1, max: k.maxBlock }),
    bcFree: fc.integer({ min: 1, max: k.maxBlock }),
  };
}

/** The sizes of a large case: which length is long, the long lengths (aimed at tiles), real head dims. */
function longDraws(k: ResolvedAttentionConstraints) {
  return fc.record({
    qPick: weighted(
      Q_PICKS,
      new Map([
        ['decode', 2],
        ['small', 1],
        ['long', 2],
      ]),
    ),
    kPick: weighted(
      K_PICKS,
      new Map([
        ['long', 3],
        ['small', 1],
        ['same', 1],
      ]),
    ),
    Sq: largeLength(k.maxSeq, k.tiles?.Br),
    Sk: largeLength(k.maxSeq, k.tiles?.Bc),
    cache: largeLength(k.maxCache, k.tiles?.Bc),
    D: headDim(k.maxHeadDim),
    Dv: fc.option(headDim(k.maxHeadDim), { nil: null, freq: 2 }),
  });
}
