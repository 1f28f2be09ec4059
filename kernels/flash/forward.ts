/**
 * FlashAttention-2 forward: Dao 2023, "FlashAttention-2: Faster Attention with Better Parallelism
 * and Work Partitioning", Algorithm 1, over the grouped layout of operands.ts.
 *
 *   Q [B,Hkv,G,Sq,D], K [B,Hkv,Sk,D], V [B,Hkv,Sk,Dv]  ->  O [B,Hkv,G,Sq,Dv], lse [B,Hkv,G,Sq,1]
 *
 * For each query block Qi (Br rows) the key blocks Kj, Vj (Bc columns) stream past with an
 * online softmax. The query blocks are independent (Algorithm 1's outer loop is the parallel one
 * on a GPU), so all of them run as one batched tfjs op per key block, the loop is over key blocks
 * only, and a key block the tile plan finds fully masked for every query is never loaded. A query
 * row that sees no key of a block it is batched with gets S = -inf there, which leaves its m, l and
 * acc_o bit for bit as they were (alpha = 1, P~ = 0), exactly as if that tile had been skipped; so
 * the result does not depend on Br, which the block-independence property checks:
 *
 *   S     = Qi·Kjᵀ·scale, softcapped, masked to -inf, + ALiBi + bias (operands.ts)   [.., Br, Bc]
 *   m_new = max(m, rowmax S)
 *   P~    = exp(S - m_new)
 *   l     = e^(m - m_new)·l + rowsum(P~)
 *   acc_o = e^(m - m_new)·acc_o + round(P~)∘Z · Vj             Z: dropout multiplier, 1 without
 *   O     = acc_o / l,   lse = m + log l
 *
 * With sinks, the sink is one more column of the row with no value, folded in after the last block:
 *   m_s = max(m, sink_h),  l_s = e^(m - m_s)·l + e^(sink_h - m_s),  O = e^(m - m_s)·acc_o / l_s,  lse = m_s + log l_s
 * (only in rows that saw a key: a row with none keeps O = 0 and lse = -inf).
 *
 * Rows with no visible key so far have m = -inf; the exponent uses m_safe = 0 then, which makes
 * every term exactly 0 instead of exp(-inf + inf) = NaN. A row that never sees a key ends with
 * l = 0: O = 0 and lse = -inf (the backward turns that into zero gradients).
 *
 * Rounding: P~ is rounded to the emulated precision before P~·V (as the CUDA kernel converts P to
 * fp16/bf16 for its second GEMM); m, l, acc_o stay float32. Dropout is applied after rounding and
 * l sums the undropped P~, so O = (P∘Z)·V with P the softmax, as in the contract.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/contract/index.js';
import { matMul } from '../common/matMul.js';
import { roundTensor } from '../common/round.js';
import { asRows, type FlashConfig, type Grouped, groupedDims, loadTile } from './operands.js';
import { blockRanges } from './tiles.js';

export interface ForwardResult {
  /** [B,Hkv,G,Sq,Dv] */
  readonly O: Tensor;
  /** Log-sum-exp of each row's scaled, masked scores, -inf for rows with no visible key. [B,Hkv,G,Sq,1] */
  readonly lse: Tensor;
}

export function flashForward(tf: TF, g: Grouped, cfg: FlashConfig): ForwardResult {
  const dims = groupedDims(g);
  const { B, Hkv, G, Dv } = dims;
  const { Sq, Sk } = cfg.plan.sizes;
  const Os: Tensor[] = [];
  const lses: Tensor[] = [];
  // All query blocks of a key-block step at once (see the header): one row range, [0, Sq).
  for (const [i0, i1] of [[0, Sq] as const]) {
    const R = i1 - i0;
    let m = tf.fill([B, Hkv, G, R, 1], -Infinity);
    let l = tf.zeros([B, Hkv, G, R, 1]);
    let acc_o = tf.zeros([B, Hkv, G, R, Dv]);
    for (const [j0, j1] of blockRanges(Sk, cfg.Bc)) {
      const t = cfg.plan.tile(i0, i1, j0, j1);
      if (t.kind === 'none') continue; // fully masked block: skipped, as causal flash skips past the diagonal
      const next = tf.tidy(() => {
        const tile = loadTile(tf, g, cfg, t.kind === 'partial' ? t.bits : null, i0, i1, j0, j1);
        const m_new = tf.maximum(m, tf.max(tile.S, -1, true));
        const m_safe = tf.where(tf.equal(m_new, -Infinity), tf.zerosLike(m_new), m_new);
        const P = tf.exp(tf.sub(tile.S, m_safe));
        const alpha = tf.exp(tf.sub(m, m_safe));
        const l_new = tf.add(tf.mul(alpha, l), tf.sum(P, -1, true));
        let Pv = roundTensor(tf, P, cfg.precision);
        if (tile.Z !== null) Pv = tf.mul(Pv, tile.Z);
        const PV = tf.reshape(matMul(tf, asRows(tf, Pv, dims, R), tile.Vj), [B, Hkv, G, R, Dv]);
        const acc_new = tf.add(tf.mul(alpha, acc_o), PV);
        return [m_new, l_new, acc_new];
      });
      tf.dispose([m, l, acc_o]);
      [m, l, acc_o] = next as [Tensor, Tensor, Tensor];
    }
    const [Oi, lsei] = tf.tidy(() => {
      const seen = tf.greater(l, 0);
      let lSafe = tf.where(seen, l, tf.onesLike(l));
      let mSafe = tf.where(seen, m, tf.zerosLike(m));
      let acc = acc_o;
      if (g.sinks != null) {
        const m_s = tf.maximum(mSafe, g.sinks);
        const alpha = tf.exp(tf.sub(mSafe, m_s));
        lSafe = tf.add(tf.mul(alpha, lSafe), tf.exp(tf.sub(g.sinks, m_s)));
        acc = tf.mul(alpha, acc_o);
        mSafe = m_s;
      }
      const O = tf.div(acc, lSafe);
      const lse = tf.where(seen, tf.add(mSafe, tf.log(lSafe)), tf.fill(l.shape, -Infinity));
      return [O, lse];
    });
    tf.dispose([m, l, acc_o]);
    Os.push(Oi!);
    lses.push(lsei!);
  }
  const O = Os.length === 1 ? Os[0]! : tf.concat(Os, 3);
  const lse = lses.length === 1 ? lses[0]! : tf.concat(lses, 3);
  if (Os.length > 1) tf.dispose([...Os, ...lses]);
  return { O, lse };
}
