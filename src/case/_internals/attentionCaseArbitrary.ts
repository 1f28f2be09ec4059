/**
 * The engine behind `attentionCase`: draws independent primitives with fc.record and maps them
 * to a case. Every dependent field is a function of primitives (Hkv from a divisor index of Hq,
 * keyLengths from per-row padding amounts clamped to Sk, blocks from a relation to the length),
 * so each primitive shrinks on its own and every shrunk value is still a valid case.
 *
 * Record keys are listed in the order fast-check shrinks them: the options first (toward null),
 * then the enums (toward their first, simplest value), then the sizes (toward 1), seeds last.
 */
import fc from 'fast-check';
import type { AttentionShapes, Causal, DropoutSpec, Precision } from '../../contract/index.js';
import { CASE_VERSION, type AttentionCase, type Junk, type Layout, type MaskSpec, type ValueDistribution } from '../types.js';
import { BLOCK_RELATIONS, blockFor, divisorsDescending, length, rarely, seed } from './biased.js';

/** Constraints with every default filled in and checked (see `AttentionCaseConstraints`). */
export interface ResolvedAttentionConstraints {
  readonly maxBatch: number;
  readonly maxHeads: number;
  readonly maxSeq: number;
  readonly maxHeadDim: number;
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
  readonly fixed: AttentionCaseFixed;
}

/** Fields pinned to a value; shapes may be pinned one dim at a time. */
export type AttentionCaseFixed = Partial<Omit<AttentionCase, 'version' | 'kind' | 'shapes'>> & {
  readonly shapes?: Partial<AttentionShapes>;
};

/** Non-default scales: exact powers of two, and two that are not exact in binary. */
const SCALES = [1, 0.5, 2, 0.125, 0.1, 0.3];
/** Dropout rates, the common one first. */
const DROPOUT_P = [0.5, 0.1, 0.9, 0];
/** Mask densities: all-true first (the simplest mask), down to all-false. */
const DENSITIES = [1, 0.8, 0.5, 0.2, 0];

const pinned = <T>(value: T | undefined, arb: fc.Arbitrary<T>): fc.Arbitrary<T> => (value === undefined ? arb : fc.constant(value));

export function buildAttentionCaseArbitrary(k: ResolvedAttentionConstraints): fc.Arbitrary<AttentionCase> {
  const fs = k.fixed.shapes ?? {};
  const { shapes: _shapes, ...fixedRest } = k.fixed;

  const primitives = fc.record({
    mask: k.allowMask
      ? rarely(fc.record({ perBatch: fc.boolean(), perHead: fc.boolean(), density: fc.constantFrom(...DENSITIES), seed: seed() }), 2)
      : fc.constant(null),
    dropout: k.allowDropout ? rarely(fc.record({ p: fc.constantFrom(...DROPOUT_P), seed: seed() }), 3) : fc.constant(null),
    window: k.allowWindow
      ? rarely(fc.tuple(fc.integer({ min: -1, max: k.maxSeq }), fc.integer({ min: -1, max: k.maxSeq })), 3)
      : fc.constant(null),
    // Unpadded as often as padded: the founding bug (adapters#721) only showed without padding.
    pads: k.allowPadding
      ? fc.option(fc.tuple(...Array.from({ length: fs.B ?? k.maxBatch }, () => fc.integer({ min: 0, max: k.maxSeq }))), { nil: null, freq: 2 })
      : fc.constant(null),
    paddingSide: fc.constantFrom<'right' | 'left'>('right', 'left'),
    scale: k.allowScale ? fc.option(fc.constantFrom(...SCALES), { nil: null, freq: 2 }) : fc.constant(null),
    layout: fc.constantFrom(...k.layouts),
    view: fc.record({ offset: fc.integer({ min: 0, max: 4 }), gap: fc.integer({ min: 1, max: 3 }) }),
    precision: fc.constantFrom(...k.precisions),
    values: fc.constantFrom(...k.values),
    junk: fc.constantFrom(...k.junk),
    causal: fc.constantFrom(...k.causals),
    B: pinned(fs.B, fc.integer({ min: 1, max: k.maxBatch })),
    Hq: pinned(fs.Hq, fc.integer({ min: 1, max: k.maxHeads })),
    hkvIndex: fc.integer({ min: 0, max: k.maxHeads - 1 }),
    Sq: pinned(fs.Sq, length(k.maxSeq)),
    Sk: pinned(fs.Sk, length(k.maxSeq)),
    // Sk = Sq a quarter of the time; otherwise independent, so Sq != Sk both ways.
    skIsSq: fc.integer({ min: 0, max: 3 }).map((n) => n === 3),
    D: pinned(fs.D, fc.integer({ min: 1, max: k.maxHeadDim })),
    Dv: fc.option(fc.integer({ min: 1, max: k.maxHeadDim }), { nil: null, freq: 2 }),
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
    const Sq = p.Sq;
    const D = p.D;
    const Sk = fs.Sk ?? (p.skIsSq ? Sq : p.Sk);
    const Dv = fs.Dv ?? p.Dv ?? p.D;
    const shapes: AttentionShapes = { B: p.B, Hq, Hkv, Sq, Sk, D, Dv };
    const mask: MaskSpec | null =
      p.mask === null ? null : { broadcastBatch: !p.mask.perBatch, broadcastHeads: !p.mask.perHead, density: p.mask.density, seed: p.mask.seed };
    const dropout: DropoutSpec | null = p.dropout;
    // Padding amount uniform in [0, Sk] (shrinking to 0 = full length): an empty batch row
    // (length 0) is likely only for short keys, where it is cheap to look at.
    const keyLengths = p.pads === null ? null : p.pads.slice(0, p.B).map((pad) => Sk - (pad % (Sk + 1)));
    const c: AttentionCase = {
      version: CASE_VERSION,
      kind: 'attention',
      shapes,
      scale: p.scale,
      causal: p.causal,
      window: p.window,
      keyLengths,
      paddingSide: p.paddingSide,
      mask,
      dropout,
      precision: p.precision,
      layout,
      values: p.values,
      junk: p.junk,
      blocks: { Br: blockFor(Sq, p.brRelation, p.brFree), Bc: blockFor(Sk, p.bcRelation, p.bcFree) },
      seed: p.seed,
      ...(layout === 'strided' ? { view: p.view } : {}),
    };
    return { ...c, ...fixedRest };
  });
}
