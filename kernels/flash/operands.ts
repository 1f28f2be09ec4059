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
import { bmm, cutBlocks, cutTiles, disposeOperands, type Operand, operand } from './blocks.js';
import type { PartialTile, TileKind, TilePlan } from './tiles.js';

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
 * The operands of the tile loops, cut into blocks (blocks.ts) once per pass: per query block i and
 * key block j, as the tile products want them, so that no product transposes: S = Qi·Kjᵀ reads KT,
 * Sᵀ = Kj·Qiᵀ reads QT. Products' second operands are Operands.
 */
export interface Blocks {
  /** Query blocks [N, G·R, D] (an Operand: the backward's dK = dTᵀ·Qi reads it second). */
  readonly Q: readonly Operand[];
  /** Query blocks transposed [N, D, G·R] (backward), or null. */
  readonly QT: readonly Operand[] | null;
  /** Key blocks [N, C, D] (backward), or null. */
  readonly K: readonly Operand[] | null;
  /** Key blocks transposed [N, D, C] (forward), or null. */
  readonly KT: readonly Operand[] | null;
  /** Value blocks [N, C, Dv]. */
  readonly V: readonly Operand[];
  /** Bias tiles [B|1, Hkv|1, G|1, R, C] per (query block, key block), or null. */
  readonly bias: ReadonlyArray<readonly Tensor[]> | null;
  /** ALiBi slopes [B|1, Hkv, G, 1, 1], or null. */
  readonly slopes: Tensor | null;
}

/** Cuts the grouped operands for one pass; `dispose` frees all of it. */
export function cutOperands(
  tf: TF,
  g: Grouped,
  cfg: FlashConfig,
  rows: ReadonlyArray<readonly [number, number]>,
  cols: ReadonlyArray<readonly [number, number]>,
  backward: boolean,
): { blocks: Blocks; dispose: () => void } {
  const { Hkv, G } = groupedDims(g);
  const ops = (ts: Tensor[], second: boolean) => ts.map((t) => (second ? operand(tf, t) : { t, heads: null }));
  const K = cutBlocks(tf, g.K, cols);
  const alibi = cfg.alibi ?? null;
  const blocks: Blocks = {
    // The backward's products read Q second (dK) and Qᵀ second (Sᵀ); the forward's, Kᵀ (S) and V (P·V).
    Q: ops(cutBlocks(tf, g.Q, rows), backward),
    QT: backward ? ops(cutBlocks(tf, g.Q, rows, true), true) : null,
    K: backward ? ops(K, true) : null,
    KT: backward
      ? null
      : ops(
          K.map((k) => tf.transpose(k, [0, 2, 1])),
          true,
        ),
    V: ops(cutBlocks(tf, g.V, cols), !backward),
    bias: g.bias != null ? cutTiles(tf, g.bias, rows, cols) : null,
    slopes: alibi === null ? null : tf.reshape(alibi, [alibi.rank === 1 ? 1 : alibi.shape[0]!, Hkv, G, 1, 1]),
  };
  if (!backward) tf.dispose(K);
  const dispose = () => {
    const b = blocks;
    disposeOperands(tf, [...b.Q, ...(b.QT ?? []), ...(b.K ?? []), ...(b.KT ?? []), ...b.V]);
    tf.dispose([...(b.bias?.flat() ?? []), ...(b.slopes ? [b.slopes] : [])]);
  };
  return { blocks, dispose };
}

/**
 * One tile's operands (rows and keys that see nothing in a partial tile zeroed) and its scores S
 * [N, G·R, C] (masked: -inf), or transposed Sᵀ [N, C, G·R] for the backward, with the dropout
 * multiplier and the softcap's derivative in the same orientation.
 */
export interface Tile {
  readonly Qi: Operand;
  /** Backward only. */
  readonly QTi: Operand | null;
  /** Backward only. */
  readonly Kj: Operand | null;
  /** Forward only. */
  readonly KTj: Operand | null;
  readonly Vj: Operand;
  /** Dropout multiplier Z (0 or 1/(1-p)), or null without dropout. */
  readonly Z: Tensor | null;
  readonly S: Tensor;
  /** 1 - (S_cap/c)², the softcap's derivative dS_cap/dS, or null without softcap. */
  readonly capSlope: Tensor | null;
}

/**
 * x [N, r, c] with zeros where keep says 0, by a same-shape select (a broadcast one costs far more on
 * wasm): keep [N·r] flags rows (dim 1), or with `cols`, keep [N·c] flags columns (dim 2).
 */
function zeroed(tf: TF, op: Operand, keep: Uint8Array, cols: boolean): Operand {
  const [N, r, c] = op.t.shape as [number, number, number];
  const bits = new Uint8Array(N * r * c);
  for (let h = 0; h < N; h++)
    for (let a = 0; a < r; a++) {
      const at = (h * r + a) * c;
      if (cols) bits.set(keep.subarray(h * c, (h + 1) * c), at);
      else if (keep[h * r + a]) bits.fill(1, at, at + c);
    }
  const t = tf.where(tf.tensor(bits, [N, r, c], 'bool'), op.t, tf.zerosLike(op.t));
  return op.heads === null ? { t, heads: null } : operand(tf, t);
}

/**
 * Loads tile (query block i: rows [i0, i1)) x (key block j: keys [j0, j1)). In a partial tile, rows
 * and keys that see nothing are zeroed first: a NaN or huge value in a padded key must not leak
 * through 0 · x in a matmul. Call inside tf.tidy.
 */
export function loadTile(
  tf: TF,
  b: Blocks,
  cfg: FlashConfig,
  t: TileKind,
  [i, i0, i1]: readonly [number, number, number],
  [j, j0, j1]: readonly [number, number, number],
  transposed: boolean,
): Tile {
  const p = t.kind === 'partial' ? t : null;
  const pick = <T>(xs: readonly T[] | null, n: number) => xs?.[n] ?? null;
  let [Qi, QTi, Kj, KTj, Vj] = [b.Q[i]!, pick(b.QT, i), pick(b.K, j), pick(b.KT, j), b.V[j]!];
  if (p?.rows) {
    Qi = zeroed(tf, Qi, p.rows, false);
    if (QTi !== null) QTi = zeroed(tf, QTi, p.rows, true);
  }
  if (p?.cols) {
    Vj = zeroed(tf, Vj, p.cols, false);
    if (Kj !== null) Kj = zeroed(tf, Kj, p.cols, false);
    if (KTj !== null) KTj = zeroed(tf, KTj, p.cols, true);
  }
  const { S, capSlope } = scores(tf, b, cfg, p, transposed ? bmm(tf, Kj!.t, QTi!) : bmm(tf, Qi.t, KTj!), [
    [i, i0, i1],
    [j, j0, j1],
    transposed,
  ]);
  let Z: Tensor | null = null;
  if (cfg.dropout !== null && cfg.dropout.p > 0) {
    const { B, Hq } = cfg.plan.sizes;
    const { p: pDrop, seed, batchOffset } = cfg.dropout;
    // Contract head index h = kvh·G + g: the rows of head n = b·Hkv + kvh are its G query heads.
    const z = dropoutScaleBlock(seed, pDrop, [B, Hq, i1 - i0, j1 - j0], [batchOffset, 0, i0, j0]);
    Z = tf.tensor(transposed ? transposeHeads(z, S.shape[0]!, S.shape[2]!, S.shape[1]!) : z, S.shape);
  }
  return { Qi, QTi, Kj, KTj, Vj, Z, S, capSlope };
}

/**
 * The tile's scores from the product (Qi·Kjᵀ, or Kj·Qiᵀ transposed), in the contract's order: scale,
 * softcap, mask, ALiBi, bias. S is viewed as [B, Hkv, G, R, C] (Sᵀ as [B, Hkv, C, G, R]) for the
 * two that broadcast over heads.
 */
function scores(
  tf: TF,
  b: Blocks,
  cfg: FlashConfig,
  p: PartialTile | null,
  product: Tensor,
  [[i, i0, i1], [j, j0, j1], transposed]: readonly [
    readonly [number, number, number],
    readonly [number, number, number],
    boolean,
  ],
): { S: Tensor; capSlope: Tensor | null } {
  let S = tf.mul(product, cfg.scale);
  let capSlope: Tensor | null = null;
  if (cfg.softcap != null) {
    const c = tf.tanh(tf.div(S, cfg.softcap));
    S = tf.mul(c, cfg.softcap);
    capSlope = tf.sub(1, tf.square(c));
  }
  if (p !== null)
    S = tf.where(tf.tensor(transposed ? p.bitsT : p.bits, S.shape, 'bool'), S, tf.fill(S.shape, -Infinity));
  const { B, Hkv } = cfg.plan.sizes;
  const [G, R, C] = [cfg.plan.G, i1 - i0, j1 - j0];
  const view = (x: Tensor) => tf.reshape(x, transposed ? [B, Hkv, C, G, R] : [B, Hkv, G, R, C]);
  if (b.slopes !== null) {
    const dist = tf.tensor(
      cfg.plan.distance(i0, i1, j0, j1, transposed),
      transposed ? [1, 1, C, 1, R] : [1, 1, 1, R, C],
    );
    const slopes = transposed ? tf.reshape(b.slopes, [b.slopes.shape[0]!, Hkv, 1, G, 1]) : b.slopes;
    S = tf.reshape(tf.sub(view(S), tf.mul(slopes, dist)), S.shape);
  }
  if (b.bias !== null) {
    const tile = b.bias[i]![j]!;
    S = tf.reshape(tf.add(view(S), transposed ? tf.transpose(tile, [0, 1, 4, 2, 3]) : tile), S.shape);
  }
  return { S, capSlope };
}

/** tf.tidy typed for the plain objects of tensors (and nulls) the tile loops return. */
export function tidy<T>(tf: TF, fn: () => T): T {
  return tf.tidy(fn as unknown as () => TensorContainer) as unknown as T;
}

/** Per head, a row-major [n, m] array transposed to [m, n]: x [N, n, m] -> [N, m, n]. */
function transposeHeads(x: Float32Array, N: number, n: number, m: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let h = 0; h < N; h++)
    for (let r = 0; r < n; r++) for (let c = 0; c < m; c++) out[(h * m + c) * n + r] = x[(h * n + r) * m + c]!;
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
