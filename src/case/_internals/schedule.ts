/**
 * The size schedule of attention cases: most cases are small (lengths and head dims up to 12, fast,
 * read at a glance), a steady share is sized like the calls real kernels specialise for:
 *
 *   lengths    1 (decode), multiples of 16 up to maxSeq each + 1, 0 or - 1 (+1 first: shrinking goes to
 *              "just past a tile edge"), any length, and k·Br ± 1 / k·Bc ± 1 of a kernel's declared tiles
 *   caches     decode (Sq = 1) against up to maxCache keys (256; 4096 in the 'deep' profile)
 *   head dims  HEAD_DIMS: 1..12 and the dims kernels are compiled for (32, 64, 96, 128, ...) plus odd
 *              ones (40, 59, 111), Dv != D included
 *   cost       a large case stays cheap (about 20 ms for a kernel, its float64 reference, baseline
 *              and error scales on the cpu backend): B <= 2; the score matrix B·Hq·Sq·Sk <= SCORE_BUDGET
 *              (over it, B and then Hq drop to 1, then the shorter of two long lengths is a small one:
 *              both long means up to 65 x 65, one long up to 256 x 17); and B·Hq·Sq·Sk·(D + Dv) <=
 *              COST_BUDGET (over it, the head dims are capped to the largest listed dim that fits)
 *
 * Every length and dim is drawn as an index or a (multiple, edge) pair, so it shrinks toward the
 * simplest value of its kind, and a failure that needs 65 keys shrinks to 65, not to 129 or 257.
 */
import fc from 'fast-check';

/** Head dims kernels specialise for, and odd ones between them, ascending. */
export const HEAD_DIMS: readonly number[] = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 32, 40, 59, 64, 80, 96, 111, 128, 160, 192, 224, 256,
];

/** The grid lengths are aimed at when no kernel declares its tiles: multiples of 16. */
export const GRID = 16;

/**
 * Largest score matrix B·Hq·Sq·Sk of a large case: 65 x 65 (the tile edge of 64-wide tiles), 1 x 256 with
 * 16 heads.
 */
export const SCORE_BUDGET = 65 * 65;
/** Largest B·Hq·Sq·Sk·(D + Dv) of a large case. */
export const COST_BUDGET = 2 ** 14;

/** Named size profiles (`check --profile`): what each changes in the constraints. */
export const SIZE_PROFILES = {
  default: {},
  /** Decode against caches up to 4096 keys. */
  deep: { maxCache: 4096 },
  /** The nightly test profile: deep. */
  nightly: { maxCache: 4096 },
} as const;
export type SizeProfile = keyof typeof SIZE_PROFILES;

/**
 * The same profiles for KV-cache decode cases (the decode suite): `deep` draws caches of up to 1024
 * keys per row and page sizes up to 64 (vLLM's 16, the powers of two FlashInfer and flash-attn
 * page by, and every size between, most of which divide no length).
 */
export const DECODE_SIZE_PROFILES: Readonly<
  Record<SizeProfile, { readonly maxSeqlen?: number; readonly maxPageSize?: number }>
> = {
  default: {},
  deep: { maxSeqlen: 1024, maxPageSize: 64 },
  nightly: { maxSeqlen: 1024, maxPageSize: 64 },
};

/**
 * A length k·tile + e in [1, max], e in (+1, 0, -1) drawn as an index so that it shrinks to +1 (just
 * past an edge), k shrinking toward 1. Lengths past `max` are clamped to it.
 */
export function tileEdgeLength(tile: number, max: number): fc.Arbitrary<number> {
  const edges = [1, 0, -1];
  const kMax = Math.max(1, Math.floor((max + 1) / tile));
  return fc
    .tuple(fc.integer({ min: 1, max: kMax }), fc.integer({ min: 0, max: 2 }))
    .map(([k, e]) => Math.min(max, Math.max(1, k * tile + edges[e]!)));
}

/**
 * A long length in [1, max]: on the 16-grid (weight 12), on a declared tile's edges (weight 12, when
 * there is a tile), any length (weight 4), or 1 (weight 1: there to shrink to, across branches,
 * before shrinking within a branch).
 */
export function largeLength(max: number, tile: number | undefined): fc.Arbitrary<number> {
  const arbs: fc.WeightedArbitrary<number>[] = [
    { arbitrary: fc.constant(1), weight: 1 },
    { arbitrary: tileEdgeLength(GRID, max), weight: 12 },
    { arbitrary: fc.integer({ min: 1, max }), weight: 4 },
  ];
  if (tile !== undefined && tile <= max) arbs.push({ arbitrary: tileEdgeLength(tile, max), weight: 12 });
  return fc.oneof({ withCrossShrink: true }, ...arbs);
}

/** A head dim from HEAD_DIMS up to `max`, drawn as an index (shrinks toward 1). */
export function headDim(max: number): fc.Arbitrary<number> {
  const dims = HEAD_DIMS.filter((d) => d <= max);
  if (dims.length === 0 || dims[dims.length - 1]! < max) dims.push(max);
  return fc.integer({ min: 0, max: dims.length - 1 }).map((n) => dims[n]!);
}

/** The largest listed head dim <= cap (1 at least), or d itself when d <= cap. */
export function capHeadDim(d: number, cap: number): number {
  if (d <= cap) return d;
  let best = 1;
  for (const x of HEAD_DIMS) if (x <= cap) best = x;
  return Math.min(d, best);
}

/** B·Hq·Sq·Sk·(D + Dv): roughly what one case costs. */
export function caseCost(s: {
  readonly B: number;
  readonly Hq: number;
  readonly Sq: number;
  readonly Sk: number;
  readonly D: number;
  readonly Dv: number;
}): number {
  return s.B * s.Hq * s.Sq * s.Sk * (s.D + s.Dv);
}
