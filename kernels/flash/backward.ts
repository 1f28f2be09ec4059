/**
 * FlashAttention-2 backward: Dao 2023, Algorithm 2, over the grouped layout of operands.ts. The
 * attention matrix is never stored: each tile's P is recomputed from the saved log-sum-exp.
 *
 *   inputs   Q [B,Hkv,G,Sq,D], K [B,Hkv,Sk,D], V [B,Hkv,Sk,Dv], O, dO [B,Hkv,G,Sq,Dv], lse [B,Hkv,G,Sq,1]
 *   outputs  dQ [B,Hkv,G,Sq,D], dK [B,Hkv,Sk,D], dV [B,Hkv,Sk,Dv], and with a bias or sinks
 *            dBias (the bias's grouped shape) and dSinks [1,Hkv,G,1,1]
 *
 *   D  = rowsum(dO∘O)                                   (the paper's D_i; "Drow" here, D is the head dim)
 *   for each key block j (outer), the query blocks i (inner; they are independent, so all of them
 *   run as one batched op, and a key block fully masked for every query is skipped):
 *     P   = exp(S - lse)                                masked S = -inf gives P = 0
 *     dV_j += (round(P)∘Z)ᵀ·dO_i                         the weights the forward multiplied V by
 *     dP  = (dO_i·V_jᵀ)∘Z
 *     dS  = P∘(dP - D_i)                                 dBias_ij = dS, summed over the bias's broadcast dims
 *     dT  = dS∘(1 - (S_cap/c)²)                          softcap's derivative (dT = dS without)
 *     dQ_i += scale·dT·K_j,   dK_j += scale·dTᵀ·Q_i
 *   dSink_h = -Σ_{b,i} e^(sink_h - lse_i)·D_i           the sink is a column with dP = 0
 *
 * dK_j and dV_j contract over the tile's G·R rows, i.e. they are summed over the query heads of the
 * group. Rows with no visible key have lse = -inf; using +inf there makes P = exp(S - inf) = 0, so
 * their gradients are exactly 0 (never exp(-inf + inf) = NaN).
 *
 * Known deviation: with an emulated low precision, the forward rounded the unnormalised P~ (as the
 * CUDA kernel does) while dV here uses the rounded normalised P, so dV differs from the exact
 * derivative of the rounded forward by about one rounding unit of P (float32: identical).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/contract/index.js';
import { matMul } from '../common/matMul.js';
import { roundTensor } from '../common/round.js';
import { asRows, type FlashConfig, type Grouped, groupedDims, loadTile } from './operands.js';
import { blockRanges } from './tiles.js';

export interface BackwardResult {
  readonly dQ: Tensor;
  readonly dK: Tensor;
  readonly dV: Tensor;
  /** The bias's grouped shape, or null without a bias. */
  readonly dBias: Tensor | null;
  /** [1,Hkv,G,1,1], or null without sinks. */
  readonly dSinks: Tensor | null;
}

export function flashBackward(
  tf: TF,
  g: Grouped,
  O: Tensor,
  lse: Tensor,
  dO: Tensor,
  cfg: FlashConfig,
): BackwardResult {
  const dims = groupedDims(g);
  const { B, Hkv, G, D, Dv } = dims;
  const { Sq, Sk } = cfg.plan.sizes;
  // All query blocks of a key-block step at once: one row range (forward.ts says why this is exact).
  const rows: Array<readonly [number, number]> = [[0, Sq]];
  const [Drow, lseSafe] = tf.tidy(() => [
    tf.sum(tf.mul(dO, O), -1, true),
    tf.where(tf.equal(lse, -Infinity), tf.fill(lse.shape, Infinity), lse),
  ]) as [Tensor, Tensor];
  const dQs: Array<Tensor | null> = rows.map(() => null);
  const dKs: Tensor[] = [];
  const dVs: Tensor[] = [];
  // dBias tiles [query block][key block], null where the tile was skipped (its dS is 0).
  const bias = g.bias ?? null;
  const dBiasTiles: Array<Array<Tensor | null>> = rows.map(() => []);
  const sumToBias = (dS: Tensor): Tensor => {
    const [bB, bH, bG] = bias!.shape as number[];
    const axes = [0, 1, 2].filter((a, n) => [bB, bH, bG][n] === 1 && dS.shape[a] !== 1);
    return axes.length === 0 ? dS : tf.sum(dS, axes, true);
  };
  for (const [j0, j1] of blockRanges(Sk, cfg.Bc)) {
    const C = j1 - j0;
    let dK_j = tf.zeros([B * Hkv, C, D]);
    let dV_j = tf.zeros([B * Hkv, C, Dv]);
    rows.forEach(([i0, i1], bi) => {
      const t = cfg.plan.tile(i0, i1, j0, j1);
      if (t.kind === 'none') {
        if (bias !== null) dBiasTiles[bi]!.push(null);
        return;
      }
      const R = i1 - i0;
      const dQ_i = dQs[bi]!;
      const next = tf.tidy(() => {
        const tile = loadTile(tf, g, cfg, t.kind === 'partial' ? t.bits : null, i0, i1, j0, j1);
        const dO_i = asRows(tf, tf.slice(dO, [0, 0, 0, i0, 0], [B, Hkv, G, R, Dv]), dims, R);
        const lse_i = tf.slice(lseSafe, [0, 0, 0, i0, 0], [B, Hkv, G, R, 1]);
        const D_i = tf.slice(Drow, [0, 0, 0, i0, 0], [B, Hkv, G, R, 1]);
        const P = tf.exp(tf.sub(tile.S, lse_i));
        let Pv = roundTensor(tf, P, cfg.precision);
        if (tile.Z !== null) Pv = tf.mul(Pv, tile.Z);
        const dV_new = tf.add(dV_j, matMul(tf, asRows(tf, Pv, dims, R), dO_i, true, false));
        let dP = tf.reshape(matMul(tf, dO_i, tile.Vj, false, true), [B, Hkv, G, R, C]);
        if (tile.Z !== null) dP = tf.mul(dP, tile.Z);
        const dS5 = tf.mul(P, tf.sub(dP, D_i));
        const dBias_ij = bias !== null ? sumToBias(dS5) : null;
        const dS = asRows(tf, tile.capSlope === null ? dS5 : tf.mul(dS5, tile.capSlope), dims, R);
        const dQc = tf.mul(matMul(tf, dS, tile.Kj), cfg.scale);
        const dQ_new = dQ_i === null ? dQc : tf.add(dQ_i, dQc);
        const dK_new = tf.add(dK_j, tf.mul(matMul(tf, dS, tile.Qi, true, false), cfg.scale));
        return dBias_ij === null ? [dQ_new, dK_new, dV_new] : [dQ_new, dK_new, dV_new, dBias_ij];
      }) as [Tensor, Tensor, Tensor, Tensor?];
      if (next[3] !== undefined) dBiasTiles[bi]!.push(next[3]);
      tf.dispose([dK_j, dV_j]);
      if (dQ_i !== null) dQ_i.dispose();
      [dQs[bi], dK_j, dV_j] = [next[0], next[1], next[2]];
    });
    dKs.push(dK_j);
    dVs.push(dV_j);
  }
  // dSink_h = -Σ_{b,i} e^(sink_h - lse_i)·D_i (lse = +inf in empty rows: no contribution).
  const dSinks =
    g.sinks == null
      ? null
      : tf.tidy(() => tf.neg(tf.sum(tf.mul(tf.exp(tf.sub(g.sinks!, lseSafe)), Drow), [0, 3], true)));
  tf.dispose([Drow, lseSafe]);
  const dBias = bias === null ? null : assembleBias(tf, bias, dBiasTiles, rows, blockRanges(Sk, cfg.Bc));
  // Assemble one gradient at a time, freeing its blocks at once: at long S these are the largest
  // tensors alive, so the order bounds the peak.
  const assemble = (blocks: Tensor[], axis: number): Tensor => {
    const whole = blocks.length === 1 ? blocks[0]! : tf.concat(blocks, axis);
    if (blocks.length > 1) tf.dispose(blocks);
    return whole;
  };
  // A query block with no visible key anywhere was never touched: its dQ is 0.
  const dQ = assemble(
    dQs.map((t, bi) => {
      const R = rows[bi]![1] - rows[bi]![0];
      if (t === null) return tf.zeros([B, Hkv, G, R, D]);
      const r = tf.reshape(t, [B, Hkv, G, R, D]);
      t.dispose();
      return r;
    }),
    3,
  );
  const dK = assemble(
    dKs.map((t) => tf.tidy(() => tf.reshape(t, [B, Hkv, -1, D]))),
    2,
  );
  tf.dispose(dKs);
  const dV = assemble(
    dVs.map((t) => tf.tidy(() => tf.reshape(t, [B, Hkv, -1, Dv]))),
    2,
  );
  tf.dispose(dVs);
  return { dQ, dK, dV, dBias, dSinks };
}

/** The dBias tiles put back together as the bias's grouped shape (skipped tiles are zeros). */
function assembleBias(
  tf: TF,
  bias: Tensor,
  tiles: Array<Array<Tensor | null>>,
  rows: Array<readonly [number, number]>,
  cols: Array<readonly [number, number]>,
): Tensor {
  const [bB, bH, bG] = bias.shape as number[];
  const rowBlocks = tiles.map((row, bi) => {
    const R = rows[bi]![1] - rows[bi]![0];
    const parts = cols.map(([j0, j1], bj) => row[bj] ?? tf.zeros([bB!, bH!, bG!, R, j1 - j0]));
    const whole = parts.length === 1 ? parts[0]! : tf.concat(parts, 4);
    if (parts.length > 1) tf.dispose(parts);
    return whole;
  });
  const dBias = rowBlocks.length === 1 ? rowBlocks[0]! : tf.concat(rowBlocks, 3);
  if (rowBlocks.length > 1) tf.dispose(rowBlocks);
  return dBias;
}
