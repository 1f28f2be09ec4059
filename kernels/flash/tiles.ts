/**
 * The tile plan of FlashAttention: for each kv-head group (batch row b, kv head) and each tile of
 * query rows [i0, i1) x keys [j0, j1), whether it is fully masked (skipped, as FlashAttention skips
 * key blocks beyond the causal diagonal and FlexAttention skips empty blocks of a block-sparse
 * mask), fully visible (no mask op at all) or partial (a boolean tile mask). No [Sq, Sk] mask is
 * ever made, on the host or as a tensor: that is flash's memory point.
 *
 *   Sq = 5, Sk = 5, Br = Bc = 2, causal bottom-right:
 *              j0-1   j2-3   j4
 *   i0-1     [ part ][ skip ][skip]
 *   i2-3     [ all  ][ part ][skip]
 *   i4       [ all  ][ all  ][part]       last blocks are partial when S % B != 0
 *
 * A tile covers every head: it is skipped only where no head sees anything in it. Causal, window and
 * key lengths leave each query row i of batch row b an interval of keys [lo, hi] (the contract's
 * `structurallyVisible`, solved for j), so a tile is classified from its R intervals per batch row
 * in O(B·R) host work, and a partial tile's bits depend only on those intervals relative to j0:
 * every tile with the same relative intervals (the diagonal tiles of causal attention, all of them
 * when Sq = Sk and Br = Bc) shares one bit pattern, built once per call. Only a boolean mask costs
 * O(R·C) host work per tile and head. Forward and backward share the plan: each tile is classified once.
 *
 * Bits are [N, G·R, C] (1 = visible), N = B·Hkv heads n = b·Hkv + kvh, each with its group's G query
 * heads h = kvh·G + g of R rows: the layout of a tile's scores (operands.ts). `bitsT` is the
 * transpose [N, C, G·R] the backward reads.
 */
import type { AttentionOptionsOf, HostMask, PaddingSide } from '../../src/contract/index.js';

/** The restrictions a tile plan honours: the contract's, with the boolean mask on the host. */
export interface TileRestrictions {
  readonly causal: AttentionOptionsOf<unknown>['causal'];
  readonly window: readonly [number, number] | null;
  readonly keyLengths: readonly number[] | null;
  readonly paddingSide: PaddingSide;
  /** Boolean [B|1, Hq|1, Sq, Sk] on the host (1 = may attend), or null. */
  readonly mask: HostMask | null;
}

export interface TileSizes {
  readonly B: number;
  readonly Hq: number;
  readonly Hkv: number;
  readonly Sq: number;
  readonly Sk: number;
}

/** A tile with some visible and some masked pairs. */
export class PartialTile {
  readonly kind = 'partial';
  /** [N·G·R]: 1 where the tile row sees some key of the tile; null when every row does. */
  readonly rows: Uint8Array | null;
  /** [N·C]: 1 where the key is seen by some row of its head's group in the tile; null when every key is. */
  readonly cols: Uint8Array | null;
  private bitsTransposed: Uint8Array | null = null;

  /** bits [N, n, C] (n = G·R rows per head), 1 = visible. */
  constructor(
    readonly bits: Uint8Array,
    readonly N: number,
    readonly n: number,
    readonly C: number,
  ) {
    const rows = new Uint8Array(N * n);
    const cols = new Uint8Array(N * C);
    for (let h = 0; h < N; h++)
      for (let r = 0; r < n; r++)
        for (let j = 0; j < C; j++)
          if (bits[(h * n + r) * C + j]) {
            rows[h * n + r] = 1;
            cols[h * C + j] = 1;
          }
    this.rows = rows.every((x) => x === 1) ? null : rows;
    this.cols = cols.every((x) => x === 1) ? null : cols;
  }

  /** The bits transposed per head, [N, C, G·R]. */
  get bitsT(): Uint8Array {
    if (this.bitsTransposed === null) {
      const { N, n, C } = this;
      const t = new Uint8Array(N * n * C);
      for (let h = 0; h < N; h++)
        for (let r = 0; r < n; r++)
          for (let j = 0; j < C; j++) t[(h * C + j) * n + r] = this.bits[(h * n + r) * C + j]!;
      this.bitsTransposed = t;
    }
    return this.bitsTransposed;
  }
}

/** One tile's verdict: skip it, run it unmasked, or run it with a tile mask. */
export type TileKind = { readonly kind: 'none' } | { readonly kind: 'all' } | PartialTile;

const NONE: TileKind = { kind: 'none' };
const ALL: TileKind = { kind: 'all' };

/** Half-open ranges [start, end) of consecutive blocks of `size` covering `n`; the last may be short. */
export function blockRanges(n: number, size: number): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  return out;
}

export class TilePlan {
  /** Query heads per kv head. */
  readonly G: number;
  private readonly unrestricted: boolean;
  private readonly tiles = new Map<string, TileKind>();
  private readonly patterns = new Map<string, PartialTile>();
  private readonly distances = new Map<string, Float32Array>();

  constructor(
    readonly restrictions: TileRestrictions,
    readonly sizes: TileSizes,
  ) {
    const r = restrictions;
    this.G = sizes.Hq / sizes.Hkv;
    this.unrestricted = r.causal === 'none' && r.window === null && r.keyLengths === null && r.mask === null;
  }

  /** The keys [lo, hi] query row i of batch row b sees under causal, window and key lengths (lo > hi: none). */
  interval(b: number, i: number): readonly [number, number] {
    const { Sq, Sk } = this.sizes;
    const r = this.restrictions;
    // The bottom-right diagonal: the key aligned with query i when the query block ends the keys.
    const diag = i + Sk - Sq;
    let lo = 0;
    let hi = Sk - 1;
    if (r.causal === 'top-left') hi = Math.min(hi, i);
    if (r.causal === 'bottom-right') hi = Math.min(hi, diag);
    if (r.window !== null) {
      const [left, right] = r.window;
      if (left >= 0) lo = Math.max(lo, diag - left);
      if (right >= 0) hi = Math.min(hi, diag + right);
    }
    if (r.keyLengths !== null) {
      const len = r.keyLengths[b]!;
      if (r.paddingSide === 'right') hi = Math.min(hi, len - 1);
      else lo = Math.max(lo, Sk - len);
    }
    return [lo, hi];
  }

  /** Classifies the tile rows [i0, i1) x keys [j0, j1) over every head. */
  tile(i0: number, i1: number, j0: number, j1: number): TileKind {
    if (this.unrestricted) return ALL;
    const key = `${i0},${i1},${j0},${j1}`;
    let t = this.tiles.get(key);
    if (t === undefined) {
      t = this.classify(i0, i1, j0, j1);
      this.tiles.set(key, t);
    }
    return t;
  }

  /** Each row's visible keys within the tile, relative to j0 ([spans[2i], spans[2i + 1]]), and their count. */
  private spans(b: number, i0: number, i1: number, j0: number, j1: number): { spans: Int32Array; visible: number } {
    const R = i1 - i0;
    const spans = new Int32Array(2 * R);
    let visible = 0;
    for (let i = 0; i < R; i++) {
      const [lo, hi] = this.interval(b, i0 + i);
      const a = Math.max(lo, j0) - j0;
      const z = Math.min(hi, j1 - 1) - j0;
      [spans[2 * i], spans[2 * i + 1]] = a <= z ? [a, z] : [0, -1];
      if (a <= z) visible += z - a + 1;
    }
    return { spans, visible };
  }

  private classify(i0: number, i1: number, j0: number, j1: number): TileKind {
    const { B, Hkv } = this.sizes;
    const [R, C] = [i1 - i0, j1 - j0];
    // Without key lengths every batch row has the same intervals.
    const rowsOf = Array.from({ length: this.restrictions.keyLengths === null ? 1 : B }, (_, b) =>
      this.spans(b, i0, i1, j0, j1),
    );
    const spansOf = (b: number) => rowsOf[rowsOf.length === 1 ? 0 : b]!.spans;
    const visible = rowsOf.reduce((t, r) => t + r.visible, 0);
    if (visible === 0) return NONE;
    if (this.restrictions.mask !== null) return this.masked(i0, j0, R, C, spansOf);
    if (visible === rowsOf.length * R * C) return ALL;
    const key = `${R},${C}:${rowsOf.map((r) => r.spans.join(',')).join(';')}`;
    let p = this.patterns.get(key);
    if (p === undefined) {
      const G = this.G;
      const bits = new Uint8Array(B * Hkv * G * R * C);
      for (let b = 0; b < B; b++) {
        const spans = spansOf(b);
        for (let h = 0; h < Hkv * G; h++)
          for (let i = 0; i < R; i++) {
            const row = ((b * Hkv * G + h) * R + i) * C;
            bits.fill(1, row + spans[2 * i]!, row + spans[2 * i + 1]! + 1);
          }
      }
      p = new PartialTile(bits, B * Hkv, G * R, C);
      this.patterns.set(key, p);
    }
    return p;
  }

  /** The structural spans AND the boolean mask, read with its broadcasting inlined. */
  private masked(i0: number, j0: number, R: number, C: number, spansOf: (b: number) => Int32Array): TileKind {
    const { B, Hq, Hkv } = this.sizes;
    const mask = this.restrictions.mask!;
    const [mB, mH, mSq, mSk] = mask.shape;
    const bits = new Uint8Array(B * Hq * R * C);
    let count = 0;
    for (let b = 0; b < B; b++) {
      const spans = spansOf(b);
      for (let h = 0; h < Hq; h++) {
        const base = ((mB === 1 ? 0 : b) * mH + (mH === 1 ? 0 : h)) * mSq;
        for (let i = 0; i < R; i++)
          for (let j = spans[2 * i]!; j <= spans[2 * i + 1]!; j++) {
            if (mask.data[(base + i0 + i) * mSk + j0 + j] === 0) continue;
            bits[((b * Hq + h) * R + i) * C + j] = 1;
            count++;
          }
      }
    }
    if (count === 0) return NONE;
    if (count === bits.length) return ALL;
    return new PartialTile(bits, B * Hkv, this.G * R, C);
  }

  /** ALiBi's |i + Sk - Sq - j| over the tile, [R, C] (transposed: [C, R]); shared by tiles on the same diagonal. */
  distance(i0: number, i1: number, j0: number, j1: number, transposed: boolean): Float32Array {
    const { Sq, Sk } = this.sizes;
    const R = i1 - i0;
    const C = j1 - j0;
    const offset = i0 + Sk - Sq - j0;
    const key = `${offset},${R},${C},${transposed}`;
    let d = this.distances.get(key);
    if (d === undefined) {
      d = new Float32Array(R * C);
      for (let i = 0; i < R; i++)
        for (let j = 0; j < C; j++) d[transposed ? j * R + i : i * C + j] = Math.abs(offset + i - j);
      this.distances.set(key, d);
    }
    return d;
  }
}
