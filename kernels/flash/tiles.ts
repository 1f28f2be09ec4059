/**
 * The tile plan of FlashAttention: which (query block, key block) pairs exist, which of them are
 * fully masked (skipped, as FlashAttention skips key blocks beyond the causal diagonal and
 * FlexAttention skips empty blocks of a block-sparse mask), fully visible (no mask op at all) or
 * partial (a boolean tile mask, built on the host from the contract's own predicate, then
 * uploaded). No [Sq, Sk] mask is ever made, on the host or as a tensor: that is flash's memory
 * point, and it also means forward and backward recompute the very same tiles.
 *
 *   Sq = 5, Sk = 5, Br = Bc = 2, causal bottom-right:
 *              j0-1   j2-3   j4
 *   i0-1     [ part ][ skip ][skip]
 *   i2-3     [ all  ][ part ][skip]
 *   i4       [ all  ][ all  ][part]       last blocks are partial when S % B != 0
 *
 * The tile mask has shape [B, Hm, R, C] with Hm = Hq when the boolean mask has a head dim, else 1,
 * so it reshapes to [B, Hkv|1, G|1, R, C] and broadcasts over the grouped layout of forward.ts.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import {
  type AttentionOptionsOf,
  type HostMask,
  type PaddingSide,
  structurallyVisible,
  type TF,
} from '../../src/contract/index.js';

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

/** One tile's verdict: skip it, run it unmasked, or run it with `bits` ([B, Hm, R, C], 1 = visible). */
export type TileKind =
  | { readonly kind: 'none' }
  | { readonly kind: 'all' }
  | { readonly kind: 'partial'; readonly bits: Uint8Array };

/** Half-open ranges [start, end) of consecutive blocks of `size` covering `n`; the last may be short. */
export function blockRanges(n: number, size: number): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  return out;
}

export class TilePlan {
  /** Heads of the tile mask: Hq when the boolean mask varies over heads, else 1. */
  readonly Hm: number;
  private readonly unrestricted: boolean;

  constructor(
    readonly restrictions: TileRestrictions,
    readonly sizes: TileSizes,
  ) {
    const r = restrictions;
    this.Hm = r.mask !== null && r.mask.shape[1] !== 1 ? sizes.Hq : 1;
    this.unrestricted = r.causal === 'none' && r.window === null && r.keyLengths === null && r.mask === null;
  }

  /**
   * Classifies the tile rows [i0, i1) x keys [j0, j1) over every batch row and head. The bits are
   * the contract predicate itself (`structurallyVisible` AND the mask, as `visible` does), read
   * with the mask's broadcasting inlined because this loop is the kernel's only host work per tile.
   */
  tile(i0: number, i1: number, j0: number, j1: number): TileKind {
    if (this.unrestricted) return { kind: 'all' };
    const { B, Sq, Sk } = this.sizes;
    const { mask } = this.restrictions;
    const R = i1 - i0;
    const C = j1 - j0;
    const Hm = this.Hm;
    const bits = new Uint8Array(B * Hm * R * C);
    const [mB, mH, mSq, mSk] = mask === null ? [1, 1, Sq, Sk] : mask.shape;
    let count = 0;
    for (let b = 0; b < B; b++) {
      // Structural visibility does not depend on the head: compute it once per (b, i, j).
      for (let i = 0; i < R; i++) {
        for (let j = 0; j < C; j++) {
          if (!structurallyVisible(this.restrictions, this.sizes, b, i0 + i, j0 + j)) continue;
          for (let h = 0; h < Hm; h++) {
            let ok = 1;
            if (mask !== null) {
              const bb = mB === 1 ? 0 : b;
              const hh = mH === 1 ? 0 : h;
              ok = mask.data[((bb * mH + hh) * mSq + i0 + i) * mSk + j0 + j]!;
            }
            if (ok !== 0) {
              bits[((b * Hm + h) * R + i) * C + j] = 1;
              count++;
            }
          }
        }
      }
    }
    if (count === 0) return { kind: 'none' };
    if (count === bits.length) return { kind: 'all' };
    return { kind: 'partial', bits };
  }

  /**
   * The partial tile's mask as a boolean tensor [B, Hkv|1, G|1, R, C], plus which query rows
   * ([B, Hkv|1, G|1, R, 1]) and which key columns ([B, Hkv|1, C, 1]: seen by any head of the group)
   * see anything in the tile, used to zero operands that must not reach a matmul (0 · NaN = NaN).
   */
  tileTensors(tf: TF, bits: Uint8Array, R: number, C: number): { mask: Tensor; rowAny: Tensor; colAny: Tensor } {
    const { B, Hq, Hkv } = this.sizes;
    const G = Hq / Hkv;
    const Hg = this.Hm === 1 ? 1 : Hkv;
    const mask = tf.tensor(bits, this.Hm === 1 ? [B, 1, 1, R, C] : [B, Hkv, G, R, C], 'bool');
    const rowAny = tf.any(mask, -1, true);
    const colAny = tf.reshape(tf.any(tf.reshape(tf.transpose(mask, [0, 1, 4, 2, 3]), [B, Hg, C, -1]), -1, true), [
      B,
      Hg,
      C,
      1,
    ]);
    return { mask, rowAny, colAny };
  }
}
