/**
 * FlashAttention-2 backward: Dao 2023, Algorithm 2, over the grouped layout of operands.ts. The
 * attention matrix is never stored: each tile's P is recomputed from the saved log-sum-exp.
 *
 *   inputs   Q [B,Hkv,G,Sq,D], K [B,Hkv,Sk,D], V [B,Hkv,Sk,Dv], O, dO [B,Hkv,G,Sq,Dv], lse [B,Hkv,G,Sq,1]
 *   outputs  dQ [B,Hkv,G,Sq,D], dK [B,Hkv,Sk,D], dV [B,Hkv,Sk,Dv]
 *
 *   D  = rowsum(dO∘O)                                   (the paper's D_i; "Drow" here, D is the head dim)
 *   for each key block j (outer), each query block i (inner, fully masked tiles skipped):
 *     P   = exp(S - lse)                                masked S = -inf gives P = 0
 *     dV_j += (round(P)∘Z)ᵀ·dO_i                         the weights the forward multiplied V by
 *     dP  = (dO_i·V_jᵀ)∘Z
 *     dS  = P∘(dP - D_i)
 *     dQ_i += scale·dS·K_j,   dK_j += scale·dSᵀ·Q_i
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
import { roundTensor } from '../common/round.js';
import { asRows, groupedDims, loadTile, type FlashConfig, type Grouped } from './operands.js';
import { blockRanges } from './tiles.js';

export interface BackwardResult {
  readonly dQ: Tensor;
  readonly dK: Tensor;
  readonly dV: Tensor;
}

export function flashBackward(tf: TF, g: Grouped, O: Tensor, lse: Tensor, dO: Tensor, cfg: FlashConfig): BackwardResult {
  const dims = groupedDims(g);
  const { B, Hkv, G, D, Dv } = dims;
  const { Sq, Sk } = cfg.plan.sizes;
  const rows = blockRanges(Sq, cfg.Br);
  const [Drow, lseSafe] = tf.tidy(() => [
    tf.sum(tf.mul(dO, O), -1, true),
    tf.where(tf.equal(lse, -Infinity), tf.fill(lse.shape, Infinity), lse),
  ]) as [Tensor, Tensor];
  const dQs: Array<Tensor | null> = rows.map(() => null);
  const dKs: Tensor[] = [];
  const dVs: Tensor[] = [];
  for (const [j0, j1] of blockRanges(Sk, cfg.Bc)) {
    const C = j1 - j0;
    let dK_j = tf.zeros([B * Hkv, C, D]);
    let dV_j = tf.zeros([B * Hkv, C, Dv]);
    rows.forEach(([i0, i1], bi) => {
      const t = cfg.plan.tile(i0, i1, j0, j1);
      if (t.kind === 'none') return;
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
        const dV_new = tf.add(dV_j, tf.matMul(asRows(tf, Pv, dims, R), dO_i, true, false));
        let dP = tf.reshape(tf.matMul(dO_i, tile.Vj, false, true), [B, Hkv, G, R, C]);
        if (tile.Z !== null) dP = tf.mul(dP, tile.Z);
        const dS = asRows(tf, tf.mul(P, tf.sub(dP, D_i)), dims, R);
        const dQc = tf.mul(tf.matMul(dS, tile.Kj), cfg.scale);
        const dQ_new = dQ_i === null ? dQc : tf.add(dQ_i, dQc);
        const dK_new = tf.add(dK_j, tf.mul(tf.matMul(dS, tile.Qi, true, false), cfg.scale));
        return [dQ_new, dK_new, dV_new];
      }) as [Tensor, Tensor, Tensor];
      tf.dispose([dK_j, dV_j]);
      if (dQ_i !== null) dQ_i.dispose();
      [dQs[bi], dK_j, dV_j] = next;
    });
    dKs.push(dK_j);
    dVs.push(dV_j);
  }
  tf.dispose([Drow, lseSafe]);
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
  const dK = assemble(dKs.map((t) => tf.tidy(() => tf.reshape(t, [B, Hkv, -1, D]))), 2);
  tf.dispose(dKs);
  const dV = assemble(dVs.map((t) => tf.tidy(() => tf.reshape(t, [B, Hkv, -1, Dv]))), 2);
  tf.dispose(dVs);
  return { dQ, dK, dV };
}
