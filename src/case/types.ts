/**
 * A Case: one complete, JSON-serialisable description of an attention call under test.
 * Tensors are never stored: they are made from `seed` with seedrandom (see src/data), so a case
 * is small, diffable and replays bit for bit. `version` guards the format of saved cases.
 *
 * (Skeleton pinned by the lead so that data, arbitraries, oracle and runner can be built in
 * parallel; the owner of src/case may add fields, never change these meanings.)
 */
import type { AttentionShapes, Causal, DropoutSpec, PaddingSide, Precision } from '../contract/index.js';

export const CASE_VERSION = 1 as const;

/**
 * Memory layout q/k/v are materialised in before being handed to a kernel that takes a native
 * layout: BHSD (contract), BSHD (flash-attn), packed QKV ([B,S,3,H,D] sliced), or a strided view
 * (the tensor cut out of a larger buffer at an offset with a gap between rows).
 * Packed QKV is [B,S,3,H,D] when Sq = Sk, Hq = Hkv and D = Dv; in general it is one fused
 * projection output [B, S, Hq·D + Hkv·D + Hkv·Dv] (k and v packed apart from q when Sq != Sk),
 * so every case may use any layout (src/runner/layout.ts builds them).
 */
export type Layout = 'BHSD' | 'BSHD' | 'packed-qkv' | 'strided';

/** How tensor values are drawn (src/data/attention.ts). */
export type ValueDistribution = 'normal' | 'large' | 'near-ties' | 'small-int' | 'rising' | 'offset';

/**
 * What is written into K and V at keys no query may see (must never reach an output): finite junk
 * ('huge') for every kernel, NaN only for kernels that never read such keys (see src/data).
 */
export type Junk = 'none' | 'huge' | 'nan';

/** A boolean mask described by its broadcast shape and how it is drawn from `seed`. */
export interface MaskSpec {
  /** Which leading dims are broadcast (size 1). */
  readonly broadcastBatch: boolean;
  readonly broadcastHeads: boolean;
  /** Probability that an element may attend. */
  readonly density: number;
  readonly seed: number;
}

export interface AttentionCase {
  readonly version: typeof CASE_VERSION;
  readonly kind: 'attention';
  readonly shapes: AttentionShapes;
  /** null = the harness default 1/sqrt(D). */
  readonly scale: number | null;
  readonly causal: Causal;
  readonly window: readonly [number, number] | null;
  readonly keyLengths: readonly number[] | null;
  readonly paddingSide: PaddingSide;
  readonly mask: MaskSpec | null;
  readonly dropout: DropoutSpec | null;
  readonly precision: Precision;
  readonly layout: Layout;
  readonly values: ValueDistribution;
  readonly junk: Junk;
  /** Flash tile sizes (query block Br, key block Bc). */
  readonly blocks: { readonly Br: number; readonly Bc: number };
  /** Seed of every tensor's data (q, k, v, dOut): each drawn from its own sub-stream. */
  readonly seed: number;
  /**
   * Where the tensors sit in their buffer when `layout` is 'strided'; ignored otherwise.
   * Absent = `DEFAULT_VIEW`. Added after the skeleton: optional so hand-written cases stay valid.
   */
  readonly view?: StridedView;
  /**
   * The score options (issue 12), each optional (absent = null = off) so cases saved before them
   * keep their meaning: softcap c; ALiBi slopes and a float bias drawn from their seeds; sinks.
   */
  readonly softcap?: number | null;
  readonly alibi?: AlibiSpec | null;
  readonly bias?: BiasSpec | null;
  readonly sinks?: SinksSpec | null;
}

/** ALiBi slopes [Hq] (or [B, Hq] when perBatch), each uniform in [0, maxSlope] from `seed`. */
export interface AlibiSpec {
  readonly perBatch: boolean;
  readonly maxSlope: number;
  readonly seed: number;
}

/** A float bias [B|1, Hq|1, Sq, Sk] of N(0, std²) values from `seed`. */
export interface BiasSpec {
  readonly broadcastBatch: boolean;
  readonly broadcastHeads: boolean;
  readonly std: number;
  readonly seed: number;
}

/** Sink logits [Hq], N(mean, 1) from `seed`: a mean well above the row's logits gives the sink most of the weight. */
export interface SinksSpec {
  readonly mean: number;
  readonly seed: number;
}

/**
 * A non-contiguous view: the tensor starts `offset` elements into its buffer and each innermost
 * row (of D or Dv elements) is followed by `gap` unused elements, so the row stride is D + gap.
 * What fills the unused elements is the runner's choice (junk is the useful one).
 */
export interface StridedView {
  readonly offset: number;
  readonly gap: number;
}

export const DEFAULT_VIEW: StridedView = { offset: 1, gap: 1 };

export const LAYOUTS: readonly Layout[] = ['BHSD', 'BSHD', 'packed-qkv', 'strided'];
/** Simplest first: arbitraries shrink toward the first entry. */
export const VALUE_DISTRIBUTIONS: readonly ValueDistribution[] = [
  'small-int',
  'normal',
  'near-ties',
  'large',
  'rising',
  'offset',
];
export const JUNKS: readonly Junk[] = ['none', 'huge', 'nan'];
/** The junk drawn unless a kernel promises not to read unseen keys (or the user asks for NaN). */
export const FINITE_JUNK: readonly Junk[] = ['none', 'huge'];

/**
 * A LoRA linear layer under test (see src/contract/lora.ts):
 *   x [N, in], W0 [out, in], A [rank, in], B [out, rank], dY [N, out].
 * Tensors are made from `seed` like the attention case's.
 */
export interface LoraCase {
  readonly version: typeof CASE_VERSION;
  readonly kind: 'lora';
  readonly rank: number;
  readonly alpha: number;
  /** true: s = alpha / sqrt(rank); false: s = alpha / rank. */
  readonly rslora: boolean;
  /** Dropout on the adapter's input; null = none. */
  readonly dropout: DropoutSpec | null;
  readonly N: number;
  readonly in: number;
  readonly out: number;
  readonly precision: Precision;
  readonly seed: number;
  /** true: B is all zeros, as at initialisation (the adapted layer must equal the base). */
  readonly bZero?: boolean;
}

/**
 * A KV-cache decode call under test (src/contract/decode.ts): q [B, Hq, Sq, D] against a cache that
 * holds cacheSeqlens[b] keys of row b, bottom-right causal within a row when `causal`. q and each
 * row's logical keys and values are drawn from `seed` (src/data/decode.ts) whatever the cache's
 * layout, so a contiguous and a paged cache of one case hold the same keys; every slot no query may
 * read (past cacheSeqlens, the padding lanes of a row's last page, unused pages) holds NaN.
 *
 *   paged, pageSize 3, cacheSeqlens [5], 1 unused page: 3 physical pages in an order drawn from
 *   `permutation`; row 0's slots 0-2 on one, 3-4 on another (its lane 2 is padding), one all NaN
 */
export interface DecodeCase {
  readonly version: typeof CASE_VERSION;
  readonly kind: 'decode';
  /** q [B, Hq, Sq, D]; the cache's keys have D features and its values Dv; Hq % Hkv == 0 (each row has its own Sk). */
  readonly shapes: Omit<AttentionShapes, 'Sk'>;
  /** Keys of each batch row (B entries): the row's logical slots 0 .. len - 1. */
  readonly cacheSeqlens: readonly number[];
  readonly cache: DecodeCacheSpec;
  /** Bottom-right causal within each row: query i sees key j iff j <= i + len - Sq. */
  readonly causal: boolean;
  /** null = the harness default 1/sqrt(D). */
  readonly scale: number | null;
  readonly precision: Precision;
  /** Seed of q and of every row's keys and values. */
  readonly seed: number;
}

/**
 * The cache's layout: contiguous [B, Hkv, Smax, F] with Smax = max(1, longest row) + extraSlots, or
 * pages [numPages, pageSize, Hkv, F] (each row's ceil(len / pageSize) pages, plus unusedPages) with
 * a block table, the physical order shuffled by `permutation`.
 */
export type DecodeCacheSpec =
  | { readonly kind: 'contiguous'; readonly extraSlots: number }
  | { readonly kind: 'paged'; readonly pageSize: number; readonly unusedPages: number; readonly permutation: number };

export const DECODE_CACHES = ['contiguous', 'paged'] as const;
export type DecodeCacheKind = (typeof DECODE_CACHES)[number];

/** A paged cache where some row's length is not a multiple of the page size: a last page with padding lanes. */
export function hasPartialPage(c: DecodeCase): boolean {
  const cache = c.cache;
  return cache.kind === 'paged' && c.cacheSeqlens.some((len) => len % cache.pageSize !== 0);
}

/** Any case attnfuzz knows how to run, told apart by `kind`. */
export type Case = AttentionCase | LoraCase | DecodeCase;
