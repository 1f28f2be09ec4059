/**
 * FlashAttention-2 backward: Dao 2023, Algorithm 2, over the grouped layout of operands.ts. The
 * attention matrix is never stored: each tile's P is recomputed from the saved log-sum-exp.
 *
 *   inputs   Q [B,Hkv,G,Sq,D], K [B,Hkv,Sk,D], V [B,Hkv,Sk,Dv], O, dO [B,Hkv,G,Sq,Dv], lse [B,Hkv,G,Sq,1]
 *   outputs  dQ [B,Hkv,G,Sq,D], dK [B,Hkv,Sk,D], dV [B,Hkv,Sk,Dv], and with a bias or sinks
 *            dBias (the bias's grouped shape) and dSinks [1,Hkv,G,1,1]
 *
 *   D  = rowsum(dO∘O)                                   (the paper's D_i; "Drow" here, D is the head dim)
 *   for each key block j (outer), each query block i (inner), all heads at once, fully masked tiles skipped:
 *     P   = exp(S - lse)                                masked S = -inf gives P = 0
 *     dV_j += (round(P)∘Z)ᵀ·dO_i                         the weights the forward multiplied V by
 *     dP  = (dO_i·V_jᵀ)∘Z
 *     dS  = P∘(dP - D_i)                                 dBias_ij = dS, summed over the bias's broadcast dims
 *     dT  = dS∘(1 - (S_cap/c)²)                          softcap's derivative (dT = dS without)
 *     dQ_i += dT·K_j,   dK_j += dTᵀ·Q_i                  each times scale once, after the sum
 *   dSink_h = -Σ_{b,i} e^(sink_h - lse_i)·D_i           the sink is a column with dP = 0
 *
 * Each tile is computed transposed, Sᵀ = scale·K_j·Q_iᵀ [N, Bc, G·Br] (operands.ts), so that Pᵀ·dO_i,
 * dPᵀ = V_j·dO_iᵀ and dTᵀ·Q_i are products of untransposed operands, which tfjs-wasm runs through
 * XNNPACK (blocks.ts); dQ_i needs dT itself, one transpose per tile (cheaper than having XNNPACK
 * pack a fresh dTᵀ as the weights of K_jᵀ·dTᵀ). dK_j and dV_j contract over the tile's G·R rows, i.e.
 * they are summed over the query heads of the group. Rows with no visible key have lse = -inf;
 * using +inf there makes P = exp(S - inf) = 0, so their gradients are exactly 0 (never
 * exp(-inf + inf) = NaN).
 *
 * Known deviation: with an emulated low precision, the forward rounded the unnormalised P~ (as the
 * CUDA kernel does) while dV here uses the rounded normalised P, so dV differs from the exact
 * derivative of the rounded forward by about one rounding unit of P (float32: identical).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/contract/index.js';
import { roundTensor } from '../common/round.js';
import { assembleBlocks, assembleTiles, bmm, cutBlocks, disposeOperands, type Operand, operand } from './blocks.js';
import { type Blocks, cutOperands, type FlashConfig, type Grouped, groupedDims, loadTile, tidy } from './operands.js';
import { blockRanges, type TileKind } from './tiles.js';

export interface BackwardResult {
  readonly dQ: Tensor;
  readonly dK: Tensor;
  readonly dV: Tensor;
  /** The bias's grouped shape, or null without a bias. */
  readonly dBias: Tensor | null;
  /** [1,Hkv,G,1,1], or null without sinks. */
  readonly dSinks: Tensor | null;
}

type Ranges = ReadonlyArray<readonly [number, number]>;

/** The backward's inputs per query block: dO_i [N, G·R, Dv], dO_iᵀ [N, Dv, G·R], D_iᵀ and lse_iᵀ [N, 1, G·R]. */
interface RowInputs {
  readonly dO: readonly Operand[];
  readonly dOT: readonly Operand[];
  readonly DT: readonly Tensor[];
  readonly lseT: readonly Tensor[];
}

/** The running sums a tile adds to: dK_j, dV_j of its key block and dQ_i of its query block (null: none yet). */
interface Sums {
  readonly dK: Tensor | null;
  readonly dV: Tensor | null;
  readonly dQ: Tensor | null;
}

export function flashBackward(
  tf: TF,
  g: Grouped,
  O: Tensor,
  lse: Tensor,
  dO: Tensor,
  cfg: FlashConfig,
): BackwardResult {
  const { B, Hkv, G, D, Dv } = groupedDims(g);
  const { Sq, Sk } = cfg.plan.sizes;
  const rows = blockRanges(Sq, cfg.Br);
  const cols = blockRanges(Sk, cfg.Bc);
  const [Drow, lseSafe] = tf.tidy(() => [
    tf.sum(tf.mul(dO, O), -1, true),
    tf.where(tf.equal(lse, -Infinity), tf.fill(lse.shape, Infinity), lse),
  ]) as [Tensor, Tensor];
  // dSink_h = -Σ_{b,i} e^(sink_h - lse_i)·D_i (lse = +inf in empty rows: no contribution).
  const dSinks =
    g.sinks == null
      ? null
      : tf.tidy(() => tf.neg(tf.sum(tf.mul(tf.exp(tf.sub(g.sinks!, lseSafe)), Drow), [0, 3], true)));
  const cut = cutOperands(tf, g, cfg, rows, cols, true);
  const r: RowInputs = {
    dO: cutBlocks(tf, dO, rows).map((t) => operand(tf, t)),
    dOT: cutBlocks(tf, dO, rows, true).map((t) => operand(tf, t)),
    DT: cutBlocks(tf, Drow, rows, true),
    lseT: cutBlocks(tf, lseSafe, rows, true),
  };
  tf.dispose([Drow, lseSafe]);
  const bias = biasSums(tf, g.bias ?? null, rows, cols);
  const grads = tiles(tf, cut.blocks, r, cfg, rows, cols, bias.add);
  cut.dispose();
  disposeOperands(tf, [...r.dO, ...r.dOT]);
  tf.dispose([...r.DT, ...r.lseT]);
  // Assemble one gradient at a time: at long S these are the largest tensors alive.
  const scaled = (x: Tensor) => {
    const y = tf.mul(x, cfg.scale);
    x.dispose();
    return y;
  };
  const dQ = scaled(assembleBlocks(tf, grads.dQ, [B, Hkv, G], D));
  const dK = scaled(assembleBlocks(tf, grads.dK, [B, Hkv], D));
  const dV = assembleBlocks(tf, grads.dV, [B, Hkv], Dv);
  return { dQ, dK, dV, dBias: bias.assemble(), dSinks };
}

/**
 * Algorithm 2's loops: key blocks j outer, query blocks i inner, fully masked tiles skipped. Returns
 * dQ_i [N, G·R, D] per query block and dK_j [N, C, D], dV_j [N, C, Dv] per key block, unscaled.
 */
function tiles(
  tf: TF,
  b: Blocks,
  r: RowInputs,
  cfg: FlashConfig,
  rows: Ranges,
  cols: Ranges,
  addBias: (i: number, j: number, dBias: Tensor) => void,
): { dQ: Tensor[]; dK: Tensor[]; dV: Tensor[] } {
  const [N, , D] = b.Q[0]!.t.shape as [number, number, number];
  const Dv = b.V[0]!.t.shape[2]!;
  const dQ: Array<Tensor | null> = rows.map(() => null);
  const dK: Tensor[] = [];
  const dV: Tensor[] = [];
  cols.forEach(([j0, j1], j) => {
    let sums: Sums = { dK: null, dV: null, dQ: null };
    rows.forEach(([i0, i1], i) => {
      const t = cfg.plan.tile(i0, i1, j0, j1);
      if (t.kind === 'none') return;
      const prev: Sums = { dK: sums.dK, dV: sums.dV, dQ: dQ[i]! };
      const next = tidy(tf, () => backwardTile(tf, b, r, cfg, t, [i, i0, i1], [j, j0, j1], prev));
      tf.dispose([prev.dK, prev.dV, prev.dQ].filter((x): x is Tensor => x !== null));
      if (next.dBias !== null) addBias(i, j, next.dBias);
      sums = next;
      dQ[i] = next.dQ;
    });
    dK.push(sums.dK ?? tf.zeros([N, j1 - j0, D]));
    dV.push(sums.dV ?? tf.zeros([N, j1 - j0, Dv]));
  });
  // A query block with no visible key anywhere was never touched: its dQ is 0.
  return { dQ: dQ.map((t, i) => t ?? tf.zeros([N, b.Q[i]!.t.shape[1]!, D])), dK, dV };
}

/** One tile of Algorithm 2, transposed (see the header); returns the new sums and the tile's dBias. */
function backwardTile(
  tf: TF,
  b: Blocks,
  r: RowInputs,
  cfg: FlashConfig,
  t: TileKind,
  ii: readonly [number, number, number],
  jj: readonly [number, number, number],
  prev: Sums,
): Sums & { dBias: Tensor | null } {
  const i = ii[0];
  const tile = loadTile(tf, b, cfg, t, ii, jj, true);
  const PT = tf.exp(tf.sub(tile.S, r.lseT[i]!));
  let PvT = roundTensor(tf, PT, cfg.precision);
  if (tile.Z !== null) PvT = tf.mul(PvT, tile.Z);
  const dV = bmm(tf, PvT, r.dO[i]!);
  let dPT = bmm(tf, tile.Vj.t, r.dOT[i]!);
  if (tile.Z !== null) dPT = tf.mul(dPT, tile.Z);
  const dST = tf.mul(PT, tf.sub(dPT, r.DT[i]!));
  const dTT = tile.capSlope === null ? dST : tf.mul(dST, tile.capSlope);
  const dK = bmm(tf, dTT, tile.Qi);
  // dQ_i = dT·K_j needs dT itself: as K_jᵀ·dTᵀ, XNNPACK would pack the fresh dTᵀ as weights, which
  // costs more than this transpose (tfjs-wasm caches the packing of a product's second operand).
  const dQ = bmm(tf, tf.transpose(dTT, [0, 2, 1]), tile.Kj!);
  const add = (a: Tensor | null, x: Tensor) => (a === null ? x : tf.add(a, x));
  return {
    dK: add(prev.dK, dK),
    dV: add(prev.dV, dV),
    dQ: add(prev.dQ, dQ),
    dBias: b.bias === null ? null : tileBiasGrad(tf, dST, b.bias[i]![jj[0]]!.shape, cfg),
  };
}

/** dBias_ij = dS of the tile: dSᵀ [N, C, G·R] -> [B, Hkv, G, R, C], summed over the bias's broadcast dims. */
function tileBiasGrad(tf: TF, dST: Tensor, biasTile: readonly number[], cfg: FlashConfig): Tensor {
  const { B, Hkv } = cfg.plan.sizes;
  const [, C, GR] = dST.shape as [number, number, number];
  const G = cfg.plan.G;
  const dS = tf.transpose(tf.reshape(dST, [B, Hkv, C, G, GR / G]), [0, 1, 3, 4, 2]);
  const axes = [0, 1, 2].filter((a) => biasTile[a] === 1 && dS.shape[a] !== 1);
  return axes.length === 0 ? dS : tf.sum(dS, axes, true);
}

/** dBias accumulated per tile, then put together as the bias's grouped shape; skipped tiles are zeros. */
function biasSums(tf: TF, bias: Tensor | null, rows: Ranges, cols: Ranges) {
  const sums: Array<Array<Tensor | null>> = rows.map(() => cols.map(() => null));
  return {
    add(i: number, j: number, dBias: Tensor): void {
      sums[i]![j] = dBias;
    },
    assemble(): Tensor | null {
      if (bias === null) return null;
      const [bB, bH, bG] = bias.shape as number[];
      const tiles = sums.map((row, i) =>
        row.map((t, j) => t ?? tf.zeros([bB!, bH!, bG!, rows[i]![1] - rows[i]![0], cols[j]![1] - cols[j]![0]])),
      );
      return assembleTiles(tf, tiles);
    },
  };
}
