/**
 * What forward and backward share: the grouped layout, the call configuration, and loading one
 * tile's operands (Qi, Kj, Vj, the tile mask, the dropout multiplier) and its masked scores S.
 * Both passes load tiles through here, so the backward recomputes exactly the forward's tiles.
 *
 * Grouped layout (GQA without repeating K/V): query head h = kvh·G + g (repeat_interleave), so
 *   Q [B, Hkv, G, Sq, D]     K [B, Hkv, Sk, D]     V [B, Hkv, Sk, Dv]
 * and a tile of head (b, kvh) folds the group's G query heads into its rows: Qi [G·R, D] against
 * Kjᵀ [D, C] in one 2-D matmul (heads.ts cuts the blocks), so one K/V head serves its whole group,
 * and products contracted over rows (dK = dSᵀ·Q, dV = Pᵀ·dO) sum over the group by themselves.
 *
 * A tile's scores, in the contract's order (flash-attn's reference order):
 *   S = scale·Qi·Kjᵀ  ->  S_cap = c·tanh(S/c)  ->  -inf where the tile mask says invisible
 *     ->  + ALiBi (-slope·|i + Sk - Sq - j|, the distance tile shared along a diagonal)  ->  + bias tile
 * The backward asks for the same tile transposed, Sᵀ = scale·Kj·Qiᵀ [C, G·R], and gets every step
 * above in that orientation (tile mask, ALiBi, bias, dropout multiplier, softcap derivative).
 */
import type { Tensor, TensorContainer } from '@tensorflow/tfjs-core';
import { dropoutScaleBlock, type Precision, type TF } from '../../src/contract/index.js';
import type { TileKind, TilePlan } from './tiles.js';

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

/**
 * One head's operands cut into blocks (heads.ts): what its tiles read. Q, K, V as the tile products
 * want them, so that no product transposes: S = Qi·Kjᵀ reads KT, Sᵀ = Kj·Qiᵀ reads QT.
 */
export interface Head {
  readonly b: number;
  readonly kvh: number;
  /** Query blocks [G·R, D]. */
  readonly Q: readonly Tensor[];
  /** Query blocks transposed [D, G·R] (backward), or null. */
  readonly QT: readonly Tensor[] | null;
  /** Key blocks [C, D] (backward), or null. */
  readonly K: readonly Tensor[] | null;
  /** Key blocks transposed [D, C] (forward), or null. */
  readonly KT: readonly Tensor[] | null;
  /** Value blocks [C, Dv]. */
  readonly V: readonly Tensor[];
  /** This head's bias tiles [G|1, R, C] per (query block, key block), or null. */
  readonly bias: ReadonlyArray<readonly Tensor[]> | null;
  /** ALiBi slopes of the group's query heads [G, 1, 1], or null. */
  readonly slopes: Tensor | null;
}

/**
 * One tile's operands (rows and keys that see nothing in a partial tile zeroed) and its scores S
 * [G·R, C] (masked: -inf), or transposed Sᵀ [C, G·R] for the backward, with the dropout multiplier
 * and the softcap's derivative in the same orientation.
 */
export interface Tile {
  readonly Qi: Tensor;
  /** Backward only. */
  readonly QTi: Tensor | null;
  readonly Kj: Tensor | null;
  /** Forward only. */
  readonly KTj: Tensor | null;
  readonly Vj: Tensor;
  /** Dropout multiplier Z (0 or 1/(1-p)), or null without dropout. */
  readonly Z: Tensor | null;
  readonly S: Tensor;
  /** 1 - (S_cap/c)², the softcap's derivative dS_cap/dS, or null without softcap. */
  readonly capSlope: Tensor | null;
}

/** x with the rows (dim 0) whose keep flag is 0 replaced by zeros, by a same-shape select (no broadcast). */
function keepRows(tf: TF, x: Tensor, keep: Uint8Array): Tensor {
  const [n, d] = x.shape as [number, number];
  const bits = new Uint8Array(n * d);
  for (let r = 0; r < n; r++) if (keep[r]) bits.fill(1, r * d, (r + 1) * d);
  return tf.where(tf.tensor(bits, [n, d], 'bool'), x, tf.zerosLike(x));
}

/** x with the columns (dim 1) whose keep flag is 0 replaced by zeros. */
function keepCols(tf: TF, x: Tensor, keep: Uint8Array): Tensor {
  const [d, n] = x.shape as [number, number];
  const bits = new Uint8Array(d * n);
  for (let r = 0; r < d; r++) bits.set(keep, r * n);
  return tf.where(tf.tensor(bits, [d, n], 'bool'), x, tf.zerosLike(x));
}

/**
 * Loads tile (query block i: rows [i0, i1)) x (key block j: keys [j0, j1)) of head h. In a partial
 * tile, rows and keys that see nothing are zeroed first: a NaN or huge value in a padded key must
 * not leak through 0 · x in a matmul. Call inside tf.tidy.
 */
export function loadTile(
  tf: TF,
  h: Head,
  cfg: FlashConfig,
  t: TileKind,
  [i, i0, i1]: readonly [number, number, number],
  [j, j0, j1]: readonly [number, number, number],
  transposed: boolean,
): Tile {
  const p = t.kind === 'partial' ? t : null;
  let Qi = h.Q[i]!;
  let QTi = h.QT?.[i] ?? null;
  let Kj = h.K?.[j] ?? null;
  let KTj = h.KT?.[j] ?? null;
  let Vj = h.V[j]!;
  if (p?.rows) {
    Qi = keepRows(tf, Qi, p.rows);
    if (QTi !== null) QTi = keepCols(tf, QTi, p.rows);
  }
  if (p?.cols) {
    if (KTj !== null) KTj = keepCols(tf, KTj, p.cols);
    Vj = keepRows(tf, Vj, p.cols);
    if (Kj !== null) Kj = keepRows(tf, Kj, p.cols);
  }
  let S = tf.mul(transposed ? tf.matMul(Kj!, QTi!) : tf.matMul(Qi, KTj!), cfg.scale);
  let capSlope: Tensor | null = null;
  if (cfg.softcap != null) {
    const c = tf.tanh(tf.div(S, cfg.softcap));
    S = tf.mul(c, cfg.softcap);
    capSlope = tf.sub(1, tf.square(c));
  }
  if (p !== null)
    S = tf.where(tf.tensor(transposed ? p.bitsT : p.bits, S.shape, 'bool'), S, tf.fill(S.shape, -Infinity));
  const G = cfg.plan.G;
  const [R, C] = [i1 - i0, j1 - j0];
  // ALiBi and bias broadcast over the group's heads: S viewed as [G, R, C] (Sᵀ as [C, G, R]).
  const view = (x: Tensor) => tf.reshape(x, transposed ? [C, G, R] : [G, R, C]);
  if (h.slopes !== null) {
    const dist = tf.tensor(cfg.plan.distance(i0, i1, j0, j1, transposed), transposed ? [C, 1, R] : [1, R, C]);
    const slopes = transposed ? tf.reshape(h.slopes, [1, G, 1]) : h.slopes;
    S = tf.reshape(tf.sub(view(S), tf.mul(slopes, dist)), S.shape);
  }
  if (h.bias !== null) {
    const tileBias = h.bias[i]![j]!;
    S = tf.reshape(tf.add(view(S), transposed ? tf.transpose(tileBias, [2, 0, 1]) : tileBias), S.shape);
  }
  let Z: Tensor | null = null;
  if (cfg.dropout !== null && cfg.dropout.p > 0) {
    const { p: pDrop, seed, batchOffset } = cfg.dropout;
    // Contract head index kvh·G + g is exactly the row-major order of [Hkv, G].
    const z = dropoutScaleBlock(seed, pDrop, [1, G, R, C], [batchOffset + h.b, h.kvh * G, i0, j0]);
    Z = tf.tensor(transposed ? transpose2(z, G * R, C) : z, S.shape);
  }
  return { Qi, QTi, Kj, KTj, Vj, Z, S, capSlope };
}

/** tf.tidy typed for the plain objects of tensors (and nulls) the tile loops return. */
export function tidy<T>(tf: TF, fn: () => T): T {
  return tf.tidy(fn as unknown as () => TensorContainer) as unknown as T;
}

/** A row-major [n, m] array transposed to [m, n]. */
function transpose2(x: Float32Array, n: number, m: number): Float32Array {
  const out = new Float32Array(n * m);
  for (let r = 0; r < n; r++) for (let c = 0; c < m; c++) out[c * n + r] = x[r * m + c]!;
  return out;
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
