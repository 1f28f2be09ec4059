/**
 * FlashAttention-2 backward: Dao 2023, Algorithm 2, over the grouped layout of operands.ts. The
 * attention matrix is never stored: each tile's P is recomputed from the saved log-sum-exp.
 *
 *   inputs   Q [B,Hkv,G,Sq,D], K [B,Hkv,Sk,D], V [B,Hkv,Sk,Dv], O, dO [B,Hkv,G,Sq,Dv], lse [B,Hkv,G,Sq,1]
 *   outputs  dQ [B,Hkv,G,Sq,D], dK [B,Hkv,Sk,D], dV [B,Hkv,Sk,Dv], and with a bias or sinks
 *            dBias (the bias's grouped shape) and dSinks [1,Hkv,G,1,1]
 *
 *   D  = rowsum(dO∘O)                                   (the paper's D_i; "Drow" here, D is the head dim)
 *   for each head, each key block j (outer), each query block i (inner), fully masked tiles skipped:
 *     P   = exp(S - lse)                                masked S = -inf gives P = 0
 *     dV_j += (round(P)∘Z)ᵀ·dO_i                         the weights the forward multiplied V by
 *     dP  = (dO_i·V_jᵀ)∘Z
 *     dS  = P∘(dP - D_i)                                 dBias_ij = dS, summed over the bias's broadcast dims
 *     dT  = dS∘(1 - (S_cap/c)²)                          softcap's derivative (dT = dS without)
 *     dQ_i += dT·K_j,   dK_j += dTᵀ·Q_i                  each times scale once, after the sum
 *   dSink_h = -Σ_{b,i} e^(sink_h - lse_i)·D_i           the sink is a column with dP = 0
 *
 * Each tile is computed transposed, Sᵀ = scale·K_j·Q_iᵀ [Bc, G·Br] (operands.ts), so that Pᵀ·dO_i,
 * dPᵀ = V_j·dO_iᵀ and dTᵀ·Q_i are products of untransposed operands, which tfjs-wasm runs through
 * XNNPACK (heads.ts); dQ_i needs dT itself, one transpose per tile (cheaper than having XNNPACK pack
 * a fresh dTᵀ as the weights of K_jᵀ·dTᵀ). dK_j and dV_j contract over the tile's G·R rows, i.e.
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
import { assembleBlocks, assembleTiles, cutBlocks, cutHeads } from './heads.js';
import { type FlashConfig, type Grouped, groupedDims, type Head, loadTile, tidy } from './operands.js';
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

/** One head's backward inputs per query block: dO_i [G·R, Dv], dO_iᵀ [Dv, G·R], D_iᵀ and lse_iᵀ [1, G·R]. */
interface RowInputs {
  readonly dO: readonly Tensor[];
  readonly dOT: readonly Tensor[];
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
  const cut = cutHeads(tf, g, cfg, rows, cols, true);
  const dOs = cutBlocks(tf, dO, rows);
  const r = {
    dO: dOs,
    dOT: dOs.map((h) => h.map((x) => tf.transpose(x))),
    DT: cutBlocks(tf, Drow, rows, true),
    lseT: cutBlocks(tf, lseSafe, rows, true),
  };
  tf.dispose([Drow, lseSafe]);
  const bias = biasSums(tf, g.bias ?? null, rows, cols);
  const grads = cut.heads.map((h, n) =>
    backwardHead(tf, h, { dO: r.dO[n]!, dOT: r.dOT[n]!, DT: r.DT[n]!, lseT: r.lseT[n]! }, cfg, rows, cols, bias.add),
  );
  cut.dispose();
  tf.dispose([r.dO, r.dOT, r.DT, r.lseT].flat(2));
  // Assemble one gradient at a time: at long S these are the largest tensors alive.
  const scaled = (x: Tensor) => {
    const y = tf.mul(x, cfg.scale);
    x.dispose();
    return y;
  };
  const dQ = scaled(
    assembleBlocks(
      tf,
      grads.map((x) => x.dQ),
      [B, Hkv, G],
      D,
    ),
  );
  const dK = scaled(
    assembleBlocks(
      tf,
      grads.map((x) => x.dK),
      [B, Hkv],
      D,
    ),
  );
  const dV = assembleBlocks(
    tf,
    grads.map((x) => x.dV),
    [B, Hkv],
    Dv,
  );
  return { dQ, dK, dV, dBias: bias.assemble(), dSinks };
}

/**
 * Algorithm 2 for head h: key blocks j outer, query blocks i inner, fully masked tiles skipped.
 * Returns dQ_i [G·R, D] per query block and dK_j [C, D], dV_j [C, Dv] per key block, unscaled.
 */
function backwardHead(
  tf: TF,
  h: Head,
  r: RowInputs,
  cfg: FlashConfig,
  rows: Ranges,
  cols: Ranges,
  addBias: (h: Head, i: number, j: number, dBias: Tensor) => void,
): { dQ: Tensor[]; dK: Tensor[]; dV: Tensor[] } {
  const [D, Dv] = [h.Q[0]!.shape[1]!, h.V[0]!.shape[1]!];
  const dQ: Array<Tensor | null> = rows.map(() => null);
  const dK: Tensor[] = [];
  const dV: Tensor[] = [];
  cols.forEach(([j0, j1], j) => {
    let sums: Sums = { dK: null, dV: null, dQ: null };
    rows.forEach(([i0, i1], i) => {
      const t = cfg.plan.tile(h.b, h.kvh, i0, i1, j0, j1);
      if (t.kind === 'none') return;
      const prev: Sums = { dK: sums.dK, dV: sums.dV, dQ: dQ[i]! };
      const next = tidy(tf, () => backwardTile(tf, h, r, cfg, t, [i, i0, i1], [j, j0, j1], prev));
      tf.dispose([prev.dK, prev.dV, prev.dQ].filter((x): x is Tensor => x !== null));
      if (next.dBias !== null) addBias(h, i, j, next.dBias);
      sums = next;
      dQ[i] = next.dQ;
    });
    dK.push(sums.dK ?? tf.zeros([j1 - j0, D]));
    dV.push(sums.dV ?? tf.zeros([j1 - j0, Dv]));
  });
  // A query block with no visible key anywhere was never touched: its dQ is 0.
  const G = cfg.plan.G;
  return { dQ: dQ.map((t, i) => t ?? tf.zeros([G * (rows[i]![1] - rows[i]![0]), D])), dK, dV };
}

/** One tile of Algorithm 2, transposed (see the header); returns the new sums and the tile's dBias. */
function backwardTile(
  tf: TF,
  h: Head,
  r: RowInputs,
  cfg: FlashConfig,
  t: TileKind,
  ii: readonly [number, number, number],
  jj: readonly [number, number, number],
  prev: Sums,
): Sums & { dBias: Tensor | null } {
  const i = ii[0];
  const tile = loadTile(tf, h, cfg, t, ii, jj, true);
  const PT = tf.exp(tf.sub(tile.S, r.lseT[i]!));
  let PvT = roundTensor(tf, PT, cfg.precision);
  if (tile.Z !== null) PvT = tf.mul(PvT, tile.Z);
  const dV = tf.matMul(PvT, r.dO[i]!);
  let dPT = tf.matMul(tile.Vj, r.dOT[i]!);
  if (tile.Z !== null) dPT = tf.mul(dPT, tile.Z);
  const dST = tf.mul(PT, tf.sub(dPT, r.DT[i]!));
  const dTT = tile.capSlope === null ? dST : tf.mul(dST, tile.capSlope);
  const dK = tf.matMul(dTT, tile.Qi);
  // dQ_i = dS·K_j needs dS itself: as Kjᵀ·dSᵀ, XNNPACK would pack the fresh dSᵀ as weights, which
  // costs more than this transpose (tfjs-wasm caches the packing of a matmul's second operand).
  const dQ = tf.matMul(tf.transpose(dTT), tile.Kj!);
  const add = (a: Tensor | null, b: Tensor) => (a === null ? b : tf.add(a, b));
  return {
    dK: add(prev.dK, dK),
    dV: add(prev.dV, dV),
    dQ: add(prev.dQ, dQ),
    dBias: h.bias === null ? null : tileBiasGrad(tf, dST, h.bias[i]![jj[0]]!.shape[0]!, cfg.plan.G),
  };
}

/** dBias_ij = dS of the tile, [C, G·R] -> [G, R, C], summed over G when the bias broadcasts over the group. */
function tileBiasGrad(tf: TF, dST: Tensor, bG: number, G: number): Tensor {
  const [C, GR] = dST.shape as [number, number];
  const dS = tf.transpose(tf.reshape(dST, [C, G, GR / G]), [1, 2, 0]);
  return bG === 1 && G > 1 ? tf.sum(dS, 0, true) : dS;
}

/**
 * dBias accumulated per bias head and tile (heads that share a broadcast bias add into the same
 * tiles), then put together as the bias's grouped shape; skipped tiles are zeros.
 */
function biasSums(tf: TF, bias: Tensor | null, rows: Ranges, cols: Ranges) {
  const [bB, bH, bG] = (bias?.shape ?? [1, 1, 1]) as number[];
  const sums: Array<Array<Array<Tensor | null>>> =
    bias === null ? [] : Array.from({ length: bB! * bH! }, () => rows.map(() => cols.map(() => null)));
  return {
    add(h: Head, i: number, j: number, dBias: Tensor): void {
      const row = sums[(bB === 1 ? 0 : h.b) * bH! + (bH === 1 ? 0 : h.kvh)]![i]!;
      const prev = row[j] ?? null;
      row[j] = prev === null ? dBias : tf.add(prev, dBias);
      if (prev !== null) tf.dispose([prev, dBias]);
    },
    assemble(): Tensor | null {
      if (bias === null) return null;
      const tiles = sums.map((head) =>
        head.map((row, i) =>
          row.map((t, j) => t ?? tf.zeros([bG!, rows[i]![1] - rows[i]![0], cols[j]![1] - cols[j]![0]])),
        ),
      );
      return assembleTiles(tf, tiles, [bB!, bH!, bG!]);
    },
  };
}
