/**
 * Public builders of fast-check arbitraries for cases: `attentionCase(constraints)` and
 * `loraCase(constraints)`. The constraints are checked here, once; the engines live in
 * `_internals/`.
 *
 *   fc.assert(fc.property(attentionCase({ maxSeq: 8, fixed: { causal: 'top-left' } }), (c) => ...))
 *
 * Generated cases are biased toward where bugs live (lengths 1, block edges, primes, Sq != Sk
 * both ways, decode Sq = 1, odd head dims, Dv != D, every GQA ratio, unpadded as often as padded,
 * empty rows, non-default scales) and shrink toward the simplest case: sizes 1, no mask, window,
 * padding or dropout, default scale, BHSD, float32, small-integer values, no junk.
 */
import fc from 'fast-check';
import { CAUSALS, PRECISIONS, type Causal, type Precision } from '../contract/index.js';
import { JUNKS, LAYOUTS, VALUE_DISTRIBUTIONS, type AttentionCase, type Junk, type Layout, type LoraCase, type ValueDistribution } from './types.js';
import { buildAttentionCaseArbitrary, type AttentionCaseFixed } from './_internals/attentionCaseArbitrary.js';
import { buildLoraCaseArbitrary, type LoraCaseFixed } from './_internals/loraCaseArbitrary.js';

export type { AttentionCaseFixed, LoraCaseFixed };

export interface AttentionCaseConstraints {
  /** Largest batch B. Default 3. */
  readonly maxBatch?: number;
  /** Largest query head count Hq; Hkv is drawn among the divisors of Hq (every GQA ratio). Default 4. */
  readonly maxHeads?: number;
  /** Largest Sq and Sk. Default 12. */
  readonly maxSeq?: number;
  /** Largest D and Dv. Default 12 (so most head dims are not a multiple of 8). */
  readonly maxHeadDim?: number;
  /** Largest freely drawn flash block Br / Bc (most blocks are drawn relative to the length). Default maxSeq + 1. */
  readonly maxBlock?: number;
  /** Precisions to draw, shrinking toward the first in PRECISIONS order. Default all. */
  readonly precisions?: readonly Precision[];
  /** Causal alignments to draw. Default all ('none', 'top-left', 'bottom-right'). */
  readonly causals?: readonly Causal[];
  /** Layouts to draw, shrinking toward 'BHSD' when allowed. Default all. */
  readonly layouts?: readonly Layout[];
  /** Value distributions, shrinking toward 'small-int' when allowed. Default all. */
  readonly values?: readonly ValueDistribution[];
  /** Junk at invisible keys, shrinking toward 'none' when allowed. Default all. */
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

/** Throws `where: constraints.name ...` unless `value` is an integer >= min (undefined = default). */
function int(where: string, name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new Error(`${where}: constraints.${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

/** A non-empty subset of `all`, returned in `all`'s order so the simplest allowed value is first. */
function subset<T>(where: string, name: string, value: readonly T[] | undefined, all: readonly T[]): readonly T[] {
  if (value === undefined) return all;
  const unknown = value.filter((v) => !all.includes(v));
  if (unknown.length > 0) throw new Error(`${where}: constraints.${name} has unknown ${JSON.stringify(unknown)}, expected some of ${JSON.stringify(all)}`);
  if (value.length === 0) throw new Error(`${where}: constraints.${name} must not be empty`);
  return all.filter((v) => value.includes(v));
}

/** An arbitrary of attention cases; see `AttentionCaseConstraints` for the knobs and defaults. */
export function attentionCase(constraints: AttentionCaseConstraints = {}): fc.Arbitrary<AttentionCase> {
  const where = 'attentionCase';
  const maxSeq = int(where, 'maxSeq', constraints.maxSeq, 12);
  const fixed = constraints.fixed ?? {};
  const fs = fixed.shapes ?? {};
  for (const [name, v] of Object.entries(fs)) int(where, `fixed.shapes.${name}`, v, 1);
  if (fs.Hq !== undefined && fs.Hkv !== undefined && fs.Hq % fs.Hkv !== 0) {
    throw new Error(`${where}: constraints.fixed.shapes: Hq=${fs.Hq} is not a multiple of Hkv=${fs.Hkv}`);
  }
  if (fixed.keyLengths != null) {
    if (fs.B === undefined || fs.Sk === undefined) throw new Error(`${where}: constraints.fixed.keyLengths needs fixed shapes.B and shapes.Sk`);
    if (fixed.keyLengths.length !== fs.B || fixed.keyLengths.some((l) => !Number.isInteger(l) || l < 0 || l > fs.Sk!)) {
      throw new Error(`${where}: constraints.fixed.keyLengths must be ${fs.B} integers in [0, ${fs.Sk}], got ${JSON.stringify(fixed.keyLengths)}`);
    }
  }
  return buildAttentionCaseArbitrary({
    maxBatch: int(where, 'maxBatch', constraints.maxBatch, 3),
    maxHeads: int(where, 'maxHeads', constraints.maxHeads, 4),
    maxSeq,
    maxHeadDim: int(where, 'maxHeadDim', constraints.maxHeadDim, 12),
    maxBlock: int(where, 'maxBlock', constraints.maxBlock, maxSeq + 1),
    precisions: subset(where, 'precisions', constraints.precisions, PRECISIONS),
    causals: subset(where, 'causals', constraints.causals, CAUSALS),
    layouts: subset(where, 'layouts', constraints.layouts, LAYOUTS),
    values: subset(where, 'values', constraints.values, VALUE_DISTRIBUTIONS),
    junk: subset(where, 'junk', constraints.junk, JUNKS),
    allowMask: constraints.allowMask ?? true,
    allowDropout: constraints.allowDropout ?? true,
    allowWindow: constraints.allowWindow ?? true,
    allowPadding: constraints.allowPadding ?? true,
    allowScale: constraints.allowScale ?? true,
    fixed,
  });
}

/** An arbitrary of LoRA cases; see `LoraCaseConstraints` for the knobs and defaults. */
export function loraCase(constraints: LoraCaseConstraints = {}): fc.Arbitrary<LoraCase> {
  const where = 'loraCase';
  return buildLoraCaseArbitrary({
    maxN: int(where, 'maxN', constraints.maxN, 4),
    maxFeatures: int(where, 'maxFeatures', constraints.maxFeatures, 8),
    maxRank: int(where, 'maxRank', constraints.maxRank, 4),
    precisions: subset(where, 'precisions', constraints.precisions, PRECISIONS),
    allowDropout: constraints.allowDropout ?? true,
    allowBZero: constraints.allowBZero ?? true,
    fixed: constraints.fixed ?? {},
  });
}
