/**
 * The anchor of the mutation run: a fixed grid of cases in the style of flash-attention's
 * tests/test_flash_attn.py (`@pytest.mark.parametrize` over batch, heads, MHA/GQA, causal, head dim
 * and (seqlen_q, seqlen_k) pairs, random normal inputs, one tolerance rule), judged by the same
 * oracle as `attnfuzz check` (the library's `checkCase`).
 *
 *   attention  B {1, 2} x Hq {2, 4} x GQA {off: Hkv = Hq, on: Hkv = Hq / 2}
 *              x Sq, Sk each in {1, 2, 3, 64, 65, 128, 129, 257} x D = Dv in {1, 8, 64, 65, 128}
 *              x causal {off, bottom-right}                                       = 5120 calls
 *   decode     B {1, 2} x Hq {2, 4} x GQA x new queries Sq {1, 3} x every row's cache length
 *              in the lengths above x D = Dv in the head dims x causal x cache {contiguous,
 *              paged with 16-key pages}                                            = 2560 calls
 *
 * Every case is float32, the default scale 1/sqrt(D), no mask, padding, window or dropout, BHSD,
 * normal values, 64 x 64 tiles (flash's default when the grid was written; 256 x 256 since, and the
 * grid keeps 64 so that its lengths up to 257 span several tiles); its tensors are drawn from the
 * seed `index`.
 * With a budget of N kernel calls (the `--runs` attnfuzz gets) the grid runs a fixed subset: the
 * first N points of one shuffle of the cross product (seeded, the same for every mutant), so each
 * axis value comes early rather than the last axis varying first.
 */
import seedrandom from 'seedrandom';
import type { AttentionCase, DecodeCase } from '../src/index.js';

export const GRID_BATCHES = [1, 2] as const;
export const GRID_HEADS = [2, 4] as const;
export const GRID_LENGTHS = [1, 2, 3, 64, 65, 128, 129, 257] as const;
export const GRID_HEAD_DIMS = [1, 8, 64, 65, 128] as const;
export const GRID_DECODE_QUERIES = [1, 3] as const;
export const GRID_PAGE_SIZE = 16;
/** The seed of the one shuffle of each grid. */
export const GRID_ORDER_SEED = 'attnfuzz-mutation-grid';

/** One point of the attention grid. */
export interface AttentionPoint {
  readonly B: number;
  readonly Hq: number;
  readonly gqa: boolean;
  readonly Sq: number;
  readonly Sk: number;
  readonly D: number;
  readonly causal: boolean;
}

/** One point of the decode grid: every row of the cache holds `len` keys. */
export interface DecodePoint {
  readonly B: number;
  readonly Hq: number;
  readonly gqa: boolean;
  readonly Sq: number;
  readonly len: number;
  readonly D: number;
  readonly causal: boolean;
  readonly paged: boolean;
}

export type GridKind = 'attention' | 'decode';

/** The cross product of named axes, the last axis varying fastest. */
export function crossProduct<T extends object>(axes: { [K in keyof T]: readonly T[K][] }): T[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [name, values] of Object.entries(axes) as [string, readonly unknown[]][]) {
    out = out.flatMap((p) => values.map((v) => ({ ...p, [name]: v })));
  }
  return out as T[];
}

const BOOLS = [false, true] as const;

export function attentionPoints(): AttentionPoint[] {
  return crossProduct<AttentionPoint>({
    B: GRID_BATCHES,
    Hq: GRID_HEADS,
    gqa: BOOLS,
    Sq: GRID_LENGTHS,
    Sk: GRID_LENGTHS,
    D: GRID_HEAD_DIMS,
    causal: BOOLS,
  });
}

export function decodePoints(): DecodePoint[] {
  return crossProduct<DecodePoint>({
    B: GRID_BATCHES,
    Hq: GRID_HEADS,
    gqa: BOOLS,
    Sq: GRID_DECODE_QUERIES,
    len: GRID_LENGTHS,
    D: GRID_HEAD_DIMS,
    causal: BOOLS,
    paged: BOOLS,
  });
}

/** A Fisher-Yates shuffle of `xs` drawn from `seed` (a copy; `xs` is left as it was). */
export function shuffled<T>(xs: readonly T[], seed: string): T[] {
  const rng = seedrandom(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function attentionCaseOf(p: AttentionPoint, seed: number): AttentionCase {
  return {
    version: 1,
    kind: 'attention',
    shapes: { B: p.B, Hq: p.Hq, Hkv: p.gqa ? p.Hq / 2 : p.Hq, Sq: p.Sq, Sk: p.Sk, D: p.D, Dv: p.D },
    scale: null,
    causal: p.causal ? 'bottom-right' : 'none',
    window: null,
    keyLengths: null,
    paddingSide: 'right',
    mask: null,
    dropout: null,
    precision: 'float32',
    layout: 'BHSD',
    values: 'normal',
    junk: 'none',
    blocks: { Br: 64, Bc: 64 },
    seed,
  };
}

export function decodeCaseOf(p: DecodePoint, seed: number): DecodeCase {
  return {
    version: 1,
    kind: 'decode',
    shapes: { B: p.B, Hq: p.Hq, Hkv: p.gqa ? p.Hq / 2 : p.Hq, Sq: p.Sq, D: p.D, Dv: p.D },
    cacheSeqlens: Array.from({ length: p.B }, () => p.len),
    cache: p.paged
      ? { kind: 'paged', pageSize: GRID_PAGE_SIZE, unusedPages: 1, permutation: seed }
      : { kind: 'contiguous', extraSlots: 1 },
    causal: p.causal,
    scale: null,
    precision: 'float32',
    seed,
  };
}

/** The grid's first `n` cases (all of them when n is larger), in its fixed order. */
export function gridCases(kind: GridKind, n: number): (AttentionCase | DecodeCase)[] {
  const seed = `${GRID_ORDER_SEED}:${kind}`;
  if (kind === 'attention') return shuffled(attentionPoints(), seed).slice(0, n).map(attentionCaseOf);
  return shuffled(decodePoints(), seed).slice(0, n).map(decodeCaseOf);
}

/** How many points the grid of `kind` has. */
export function gridSize(kind: GridKind): number {
  return kind === 'attention' ? attentionPoints().length : decodePoints().length;
}
