/**
 * The engine behind `attentionCase`: draws independent primitives with fc.record and maps them
 * to a case. Every dependent field is a function of primitives (Hkv from a divisor index of Hq,
 * keyLengths from per-row padding amounts clamped to Sk, blocks from a relation to the length, the
 * lengths of a large case from their own primitives), so each primitive shrinks on its own and
 * every shrunk value is still a valid case.
 *
 * Sizes follow the schedule of schedule.ts: `size` picks a small case (lengths and head dims up to
 * smallSeq / smallHeadDim, as before the schedule) or, a `largeShare` of the time, a large one
 * (decode against a long cache, Sq < Sk, Sq > Sk, both long, or long head dims); `size` shrinks to
 * small first, so a failure that does not need length never keeps it.
 *
 * Record keys are listed in the order fast-check shrinks them: the options first (toward null),
 * then the enums (toward their first, simplest value), then the sizes (toward 1), seeds last.
 */
import fc from 'fast-check';
import type { AttentionShapes, Causal, DropoutSpec, Precision, Tiles } from '../../contract/index.js';
import {
  type AlibiSpec,
  type AttentionCase,
  type BiasSpec,
  CASE_VERSION,
  type Junk,
  type Layout,
  type MaskSpec,
  type SinksSpec,
  type ValueDistribution,
} from '../types.js';
import { BLOCK_RELATIONS, blockFor, divisorsDescending, length, rarely, seed, weighted } from './biased.js';
import { COST_BUDGET, capHeadDim, GRID, headDim, largeLength, SCORE_BUDGET, tileEdgeLength } from './schedule.js';

/** Constraints with every default filled in and checked (see `AttentionCaseConstraints`). */
export interface ResolvedAttentionConstraints {
  readonly maxBatch: number;
  readonly maxHeads: number;
  readonly maxSeq: number;
  readonly maxCache: number;
  readonly maxHeadDim: number;
  readonly smallSeq: number;
  readonly smallHeadDim: number;
  readonly largeShare: number;
  readonly tiles: Tiles | null;
  readonly maxBlock: number;
  readonly precisions: readonly Precision[];
  readonly causals: readonly Causal[];
  readonly layouts: readonly Layout[];
  readonly values: readonly ValueDistribution[];
  readonly junk: readonly Junk[];
  readonly allowMask: boolean;
  readonly allowDropout: boolean;
  readonly allowWindow: boolean;
  readonly allowPadding: boolean;
  readonly allowScale: boolean;
  readonly allowSoftcap: boolean;
  readonly allowAlibi: boolean;
  readonly allowBias: boolean;
  readonly allowSinks: boolean;
  readonly fixed: AttentionCaseFixed;
}

/** Fields pinned to a value; shapes may be pinned one dim at a time. */
export type AttentionCaseFixed = Partial<Omit<AttentionCase, 'version' | 'kind' | 'shapes'>> & {
  readonly shapes?: Partial<AttentionShapes>;
};

/** Non-default scales: exact powers of two, and two that are not exact in binary. */
export const SCALES = [1, 0.5, 2, 0.125, 0.1, 0.3];

/**
 * A drawn non-default scale as a factor of what the head dim calls for (divided by the power of two
 * nearest sqrt(D), so the scale stays exact): scale 2 with D = 128 would saturate every softmax.
 */
export const scaleForHeadDim = (drawn: number | null, D: number): number | null =>
  drawn === null ? null : drawn / 2 ** Math.round(Math.log2(Math.sqrt(D)));
/** Dropout rates, the common one first; 0.9 (most weights dropped) and 0 less often. */
const DROPOUT_P = [0.5, 0.1, 0.9, 0];
const DROPOUT_WEIGHTS = new Map([
  [0.5, 3],
  [0.1, 3],
  [0.9, 1],
  [0, 1],
]);
/** Mask densities: all-true first (the simplest mask), down to all-false. */
const DENSITIES = [1, 0.8, 0.5, 0.2, 0];
/** How often each density is drawn: a mask that hides (almost) everything leaves nothing to check. */
const DENSITY_WEIGHTS = new Map([
  [1, 6],
  [0.8, 10],
  [0.5, 8],
  [0.2, 2],
  [0, 1],
]);
/**
 * How often each value distribution is drawn: mostly values whose every output and gradient is
 * clearly non-zero (bench/signal.ts); 'large' saturates the softmax and 'near-ties' and 'offset'
 * make dQ cancel, so they are kept for what they test, not for signal.
 */
const VALUE_WEIGHTS = new Map<ValueDistribution, number>([
  ['small-int', 10],
  ['normal', 64],
  ['near-ties', 1],
  ['large', 1],
  ['rising', 8],
  ['offset', 1],
]);
/** Weights of a small Sq of 1 (decode) and of a small Sk of 1 (one key: no gradient through softmax), see `length`. */
const SQ_ONE_WEIGHT = 4;
const SK_ONE_WEIGHT = 1;
/** Large cases: Sq is 1 (decode), small or long; Sk is long, small, or Sq. */
const Q_PICKS = ['decode', 'small', 'long'] as const;
const K_PICKS = ['long', 'small', 'same'] as const;

/**
 * Softcaps relative to the scale's typical logit (|s| ~ 1 for 'normal' values): 1 bends every
 * logit, 5 the large ones, 30 and 50 (Gemma 2's final and attention caps) only 'large' values.
 */
const SOFTCAPS = [5, 1, 30, 50];
/** ALiBi's largest slope: the standard slopes 2^(-8h/H) lie in (0, 0.5]; 2 makes a steep one. */
const ALIBI_MAX_SLOPES = [0.5, 0.125, 2];
/** Bias spreads: a bias that moves logits by ~1 is felt without swamping q·k. */
const BIAS_STDS = [1, 0.1, 4];
/** Sink means: 0 (a sink like one more key), 3 (it takes most of the weight), -3. */
const SINK_MEANS = [0, 3, -3];

const pinned = <T>(value: T | undefined, arb: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  value === undefined ? arb : fc.constant(value);

/**
 * A block for a length S, at least S / 2 once S is past the grid: a long case is at most two tiles a
 * side for the built-in flash, which runs its tiles one by one (its many-tile paths are the small
 * cases' business).
 */
const tilesAtMost = (block: number, S: number): number => (S > GRID ? Math.max(block, Math.ceil(S / 2)) : block);

/** Whether the constraints leave room for large cases at all. */
export function allowsLarge(k: ResolvedAttentionConstraints): boolean {
  return k.largeShare > 0 && (k.maxSeq > k.smallSeq || k.maxCache > k.smallSeq || k.maxHeadDim > k.smallHeadDim);
}

export function buildAttentionCaseArbitrary(k: ResolvedAttentionConstraints): fc.Arbitrary<AttentionCase> {
  const fs = k.fixed.shapes ?? {};
  const { shapes: _shapes, ...fixedRest } = k.fixed;
  const large = allowsLarge(k);
  const windowSide =
    k.maxSeq > k.smallSeq
      ? fc.oneof(
          { withCrossShrink: true },
          { arbitrary: fc.integer({ min: -1, max: k.smallSeq }), weight: 3 },
          { arbitrary: tileEdgeLength(GRID, k.maxSeq), weight: 1 },
        )
      : fc.integer({ min: -1, max: k.maxSeq });

  const primitives = fc.record({
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
    window: k.allowWindow ? rarely(fc.tuple(windowSide, windowSide), 4) : fc.constant(null),
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
    layout: fc.constantFrom(...k.layouts),
    view: fc.record({ offset: fc.integer({ min: 0, max: 4 }), gap: fc.integer({ min: 1, max: 3 }) }),
    precision: fc.constantFrom(...k.precisions),
    values: weighted(k.values, VALUE_WEIGHTS),
    junk: fc.constantFrom(...k.junk),
    causal: fc.constantFrom(...k.causals),
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
    long: large
      ? fc.record({
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
        })
      : fc.constant(null),
    brRelation: fc.integer({ min: 0, max: BLOCK_RELATIONS - 1 }),
    bcRelation: fc.integer({ min: 0, max: BLOCK_RELATIONS - 1 }),
    brFree: fc.integer({ min: 1, max: k.maxBlock }),
    bcFree: fc.integer({ min: 1, max: k.maxBlock }),
    seed: seed(),
  });

  return primitives.map((p): AttentionCase => {
    const layout = fixedRest.layout ?? p.layout;
    // Heads: Hkv pinned alone means Hq is drawn as a multiple of it.
    let Hq = p.Hq;
    let Hkv: number;
    if (fs.Hkv !== undefined) {
      Hkv = fs.Hkv;
      if (fs.Hq === undefined) Hq = Hkv * (1 + ((p.Hq - 1) % Math.max(1, Math.floor(k.maxHeads / Hkv))));
    } else {
      const divisors = divisorsDescending(Hq);
      Hkv = divisors[p.hkvIndex % divisors.length]!;
    }
    let shapes: AttentionShapes;
    let causal = p.causal;
    if (p.size === 'large' && p.long !== null) {
      const l = p.long;
      let Sq = fs.Sq ?? (l.qPick === 'decode' ? 1 : l.qPick === 'small' ? p.Sq : l.Sq);
      let Sk = fs.Sk ?? (l.kPick === 'same' && Sq > 1 ? Sq : l.kPick === 'small' ? p.Sk : Sq === 1 ? l.cache : l.Sk);
      // A large case stays cheap (schedule.ts): B <= 2; over the score budget B, then the heads, drop
      // to 1, then the shorter of two long lengths is a small one; long lengths cap the head dims.
      let B = fs.B ?? 1 + ((p.B - 1) % 2);
      if (B * Hq * Sq * Sk > SCORE_BUDGET && fs.B === undefined) B = 1;
      if (B * Hq * Sq * Sk > SCORE_BUDGET && fs.Hq === undefined && fs.Hkv === undefined) [Hq, Hkv] = [1, 1];
      if (B * Hq * Sq * Sk > SCORE_BUDGET) {
        if (Sq <= Sk && fs.Sq === undefined) Sq = p.Sq;
        else if (fs.Sk === undefined) Sk = p.Sk;
      }
      const room = Math.floor(COST_BUDGET / (B * Hq * Sq * Sk * 2));
      const D = fs.D ?? capHeadDim(l.D, room);
      const Dv = fs.Dv ?? capHeadDim(l.Dv ?? l.D, room);
      shapes = { B, Hq, Hkv, Sq, Sk, D, Dv };
      // Top-left causal would let a decode query see key 0 only: the long cache would be wasted
      // (small cases keep that corner).
      if (Sq === 1 && causal === 'top-left' && fixedRest.causal === undefined) causal = 'bottom-right';
    } else {
      const Sq = p.Sq;
      const Sk = fs.Sk ?? (p.skIsSq && Sq > 1 ? Sq : p.Sk);
      shapes = { B: p.B, Hq, Hkv, Sq, Sk, D: p.D, Dv: fs.Dv ?? p.Dv ?? p.D };
    }
    const { B, Sq, Sk } = shapes;
    const scale = scaleForHeadDim(p.scale, shapes.D);
    const mask: MaskSpec | null =
      p.mask === null
        ? null
        : {
            broadcastBatch: !p.mask.perBatch,
            broadcastHeads: !p.mask.perHead,
            density: p.mask.density,
            seed: p.mask.seed,
          };
    const dropout: DropoutSpec | null = p.dropout;
    // Padding amount in [0, Sk] (shrinking to 0 = full length): an empty batch row (length 0) is
    // likely only for short keys, where it is cheap to look at.
    const keyLengths = p.pads === null ? null : p.pads.slice(0, B).map((pad) => Sk - (pad % (Sk + 1)));
    const c: AttentionCase = {
      version: CASE_VERSION,
      kind: 'attention',
      shapes,
      scale,
      causal,
      window: p.window,
      keyLengths,
      paddingSide: p.paddingSide,
      mask,
      dropout,
      precision: p.precision,
      layout,
      values: p.values,
      junk: p.junk,
      blocks: {
        Br: tilesAtMost(blockFor(Sq, p.brRelation, p.brFree), Sq),
        Bc: tilesAtMost(blockFor(Sk, p.bcRelation, p.bcFree), Sk),
      },
      seed: p.seed,
      ...(layout === 'strided' ? { view: p.view } : {}),
      ...scoreOptions(p),
    };
    return { ...c, ...fixedRest };
  });
}

/** The score options of a draw, present only when drawn (a case without them is as before them). */
function scoreOptions(p: {
  softcap: number | null;
  alibi: AlibiSpec | null;
  bias: { perBatch: boolean; perHead: boolean; std: number; seed: number } | null;
  sinks: SinksSpec | null;
}): Pick<AttentionCase, 'softcap' | 'alibi' | 'bias' | 'sinks'> {
  const bias: BiasSpec | null =
    p.bias === null
      ? null
      : { broadcastBatch: !p.bias.perBatch, broadcastHeads: !p.bias.perHead, std: p.bias.std, seed: p.bias.seed };
  return {
    ...(p.softcap !== null ? { softcap: p.softcap } : {}),
    ...(p.alibi !== null ? { alibi: p.alibi } : {}),
    ...(bias !== null ? { bias } : {}),
    ...(p.sinks !== null ? { sinks: p.sinks } : {}),
  };
}
