/**
 * What forward and backward share: the grouped layout, the call configuration, and loading one
 * tile's operands (Qi, Kj, Vj, the tile mask, the dropout multiplier) and its masked scores S.
 * Both passes load tiles through here, so the backward recomputes exactly the forward's tiles.
 *
 * Grouped layout (GQA without repeating K/V): query head h = kvh·G + g (repeat_interleave), so
 *   Q [B, Hkv, G, Sq, D]     K [B, Hkv, Sk, D]     V [B, Hkv, Sk, Dv]
 * and a tile folds the G query heads of a group into its rows: Qi [B·Hkv, G·R, D] against
 * Kj [B·Hkv, C, D] in one batched matmul, so one K/V head serves its whole group, and products
 * contracted over rows (dK = dSᵀ·Q, dV = Pᵀ·dO) sum over the group by themselves.
 *
 * A tile's scores, in the contract's order (flash-attn's reference order):
 *   S = scale·Qi·Kjᵀ  ->  S_cap = c·tanh(S/c)  ->  -inf where the tile mask says invisible
 *     ->  + ALiBi (-slope·|i + Sk - Sq - j|, the distance tile made on the host)  ->  + bias tile
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { dropoutScaleBlock, type Precision, type TF } from '../../src/contract/index.js';
import { matMul } from '../common/matMul.js';
import type { TilePlan } from './tiles.js';

/** Everything a flash call needs beyond its tensors. */
export interface FlashConfig {
  /** Multiplies Q·Kᵀ. */
  readonly scale: number;
  readonly plan: TilePlan;
  /** Query block size (rows per tile) and key block size (columns per tile). */
  readonly Br: number;
  readonly Bc: number;
  /** Dropout on the attention weights; batchOffset is the contract batch index of row 0 (varlen). */
  readonly dropout: { readonly p: number; readonly seed: number; readonly batchOffset: number } | null;
  readonly precision: Precision;
  /** c of the softcap c·tanh(S/c), or null. */
  readonly softcap?: number | null;
  /** ALiBi slopes [Hq] or [B, Hq] (a constant: no gradient), or null. */
  readonly alibi?: Tensor | null;
}

/** Q [B,Hkv,G,Sq,D], K [B,Hkv,Sk,D], V [B,Hkv,Sk,Dv]; the differentiable score inputs beside them. */
export interface Grouped {
  readonly Q: Tensor;
  readonly K: Tensor;
  readonly V: Tensor;
  /** Float bias [B|1, Hkv|1, G|1, Sq, Sk] (the contract's [B|1, Hq|1, Sq, Sk] grouped), or null. */
  readonly bias?: Tensor | null;
  /** Sink logits [1, Hkv, G, 1, 1], or null. */
  readonly sinks?: Tensor | null;
}

export interface GroupedDims {
  readonly B: number;
  readonly Hkv: number;
  readonly G: number;
  readonly D: number;
  readonly Dv: number;
}

export function groupedDims(g: Grouped): GroupedDims {
  const [B, Hkv, G, , D] = g.Q.shape as number[];
  return { B: B!, Hkv: Hkv!, G: G!, D: D!, Dv: g.V.shape[3]! };
}

/** One tile's operands, rank 3 for batched matmuls, and its scores S [B,Hkv,G,R,C] (masked: -inf). */
export interface Tile {
  readonly R: number;
  readonly C: number;
  readonly Qi: Tensor;
  readonly Kj: Tensor;
  readonly Vj: Tensor;
  /** Dropout multiplier Z [B,Hkv,G,R,C] (0 or 1/(1-p)), or null without dropout. */
  readonly Z: Tensor | null;
  readonly S: Tensor;
  /** 1 - (S_cap/c)², the softcap's derivative dS_cap/dS [B,Hkv,G,R,C], or null without softcap. */
  readonly capSlope: Tensor | null;
}

/**
 * Loads tile rows [i0, i1) x keys [j0, j1). In a partial tile, rows and columns that see nothing
 * are zeroed first: a NaN or huge value in a padded key must not leak through 0 · x in a matmul.
 * Call inside tf.tidy.
 */
export function loadTile(
  tf: TF,
  g: Grouped,
  cfg: FlashConfig,
  bits: Uint8Array | null,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
): Tile {
  const { B, Hkv, G, D, Dv } = groupedDims(g);
  const R = i1 - i0;
  const C = j1 - j0;
  let Qi = tf.slice(g.Q, [0, 0, 0, i0, 0], [B, Hkv, G, R, D]);
  let Kj = tf.slice(g.K, [0, 0, j0, 0], [B, Hkv, C, D]);
  let Vj = tf.slice(g.V, [0, 0, j0, 0], [B, Hkv, C, Dv]);
  let mask: Tensor | null = null;
  if (bits !== null) {
    const t = cfg.plan.tileTensors(tf, bits, R, C);
    mask = t.mask;
    Qi = tf.where(t.rowAny, Qi, tf.zerosLike(Qi));
    Kj = tf.where(t.colAny, Kj, tf.zerosLike(Kj));
    Vj = tf.where(t.colAny, Vj, tf.zerosLike(Vj));
  }
  const Qi3 = tf.reshape(Qi, [B * Hkv, G * R, D]);
  const Kj3 = tf.reshape(Kj, [B * Hkv, C, D]);
  const Vj3 = tf.reshape(Vj, [B * Hkv, C, Dv]);
  let S = tf.reshape(tf.mul(matMul(tf, Qi3, Kj3, false, true), cfg.scale), [B, Hkv, G, R, C]);
  let capSlope: Tensor | null = null;
  if (cfg.softcap != null) {
    const t = tf.tanh(tf.div(S, cfg.softcap));
    S = tf.mul(t, cfg.softcap);
    capSlope = tf.sub(1, tf.square(t));
  }
  if (mask !== null) S = tf.where(mask, S, tf.fill([1, 1, 1, 1, 1], -Infinity));
  if (cfg.alibi != null) {
    const { Sq, Sk } = cfg.plan.sizes;
    const dist = new Float32Array(R * C);
    for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) dist[i * C + j] = Math.abs(i0 + i + Sk - Sq - (j0 + j));
    const slopes = tf.reshape(cfg.alibi, [cfg.alibi.rank === 1 ? 1 : B, Hkv, G, 1, 1]);
    S = tf.sub(S, tf.mul(slopes, tf.tensor(dist, [1, 1, 1, R, C])));
  }
  if (g.bias != null) {
    const [bB, bH, bG] = g.bias.shape as number[];
    S = tf.add(S, tf.slice(g.bias, [0, 0, 0, i0, j0], [bB!, bH!, bG!, R, C]));
  }
  let Z: Tensor | null = null;
  if (cfg.dropout !== null && cfg.dropout.p > 0) {
    const { p, seed, batchOffset } = cfg.dropout;
    // Contract head index h = kvh·G + g is exactly the row-major order of [Hkv, G].
    Z = tf.tensor(dropoutScaleBlock(seed, p, [B, Hkv * G, R, C], [batchOffset, 0, i0, j0]), [B, Hkv, G, R, C]);
  }
  return { R, C, Qi: Qi3, Kj: Kj3, Vj: Vj3, Z, S, capSlope };
}

/** [B,Hkv,G,R,C] -> [B·Hkv, G·R, C], the matmul view of a tile-shaped tensor. */
export function asRows(tf: TF, x: Tensor, dims: GroupedDims, R: number): Tensor {
  return tf.reshape(x, [dims.B * dims.Hkv, dims.G * R, x.shape[4]!]);
}

/**
 * tf.transpose, but a plain reshape (no copy) when the permutation only moves size-1 dims, e.g.
 * BSHD <-> BHSD with H = 1: layout changes then cost no memory, which matters at long S.
 */
export function permute(tf: TF, x: Tensor, perm: readonly number[]): Tensor {
  const nonUnit = perm.filter((axis) => x.shape[axis] !== 1);
  const inOrder = nonUnit.every((axis, n) => n === 0 || nonUnit[n - 1]! < axis);
  return inOrder
    ? tf.reshape(
        x,
        perm.map((axis) => x.shape[axis]!),
      )
    : tf.transpose(x, [...perm]);
}
