/**
 * FlashAttention-2 forward: Dao 2023, "FlashAttention-2: Faster Attention with Better Parallelism
 * and Work Partitioning", Algorithm 1, over the grouped layout of operands.ts.
 *
 *   Q [B,Hkv,G,Sq,D], K [B,Hkv,Sk,D], V [B,Hkv,Sk,Dv]  ->  O [B,Hkv,G,Sq,Dv], lse [B,Hkv,G,Sq,1]
 *
 * For each query block Qi (Br rows: Algorithm 1's outer loop, the parallel one on a GPU) the key
 * blocks Kj, Vj (Bc columns) stream past with an online softmax, and a tile the plan finds fully
 * masked for every head is never loaded: causal attention runs about half the tiles. All heads run
 * in one batch (the group's G query heads in the tile's rows; blocks.ts has the products). A query
 * row that sees no key of a tile gets S = -inf there, which leaves its m, l and
 * acc_o bit for bit as they were (alpha = 1, P~ = 0), exactly as if that tile had been skipped; so
 * the result does not depend on Br, which the block-independence property checks:
 *
 *   S     = Qi·Kjᵀ·scale, softcapped, masked to -inf, + ALiBi + bias (operands.ts)   [N, G·Br, Bc]
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
 * A query block's first tile starts from m = -inf, l = 0, acc_o = 0, where e^(m - m_new) = 0 leaves
 * exactly the tile's own terms: it skips the rescale. Rows with no visible key so far have m = -inf;
 * the exponent uses m_safe = 0 then, which makes every term exactly 0 instead of
 * exp(-inf + inf) = NaN. A row that never sees a key ends with l = 0: O = 0 and lse = -inf (the
 * backward turns that into zero gradients).
 *
 * Rounding: P~ is rounded to the emulated precision before P~·V (as the CUDA kernel converts P to
 * fp16/bf16 for its second GEMM); m, l, acc_o stay float32. Dropout is applied after rounding and
 * l sums the undropped P~, so O = (P∘Z)·V with P the softmax, as in the contract.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/contract/index.js';
import { roundTensor } from '../common/round.js';
import { assembleBlocks, bmm } from './blocks.js';
import { type Blocks, cutOperands, type FlashConfig, type Grouped, groupedDims, loadTile, tidy } from './operands.js';
import { blockRanges } from './tiles.js';

export interface ForwardResult {
  /** [B,Hkv,G,Sq,Dv] */
  readonly O: Tensor;
  /** Log-sum-exp of each row's scaled, masked scores, -inf for rows with no visible key. [B,Hkv,G,Sq,1] */
  readonly lse: Tensor;
}

type Ranges = ReadonlyArray<readonly [number, number]>;

/** The online-softmax state of one query block: m, l [N, G·R, 1] and acc_o [N, G·R, Dv]. */
interface RowState {
  readonly m: Tensor;
  readonly l: Tensor;
  readonly acc_o: Tensor;
}

export function flashForward(tf: TF, g: Grouped, cfg: FlashConfig): ForwardResult {
  const { B, Hkv, G, Dv } = groupedDims(g);
  const { Sq, Sk } = cfg.plan.sizes;
  const rows = blockRanges(Sq, cfg.Br);
  const cols = blockRanges(Sk, cfg.Bc);
  const cut = cutOperands(tf, g, cfg, rows, cols, false);
  const states = rows.map((_, i) => queryBlock(tf, cut.blocks, cfg, i, rows, cols));
  cut.dispose();
  const lead = [B, Hkv, G];
  const m = assembleBlocks(
    tf,
    states.map((s) => s.m),
    lead,
    1,
  );
  const l = assembleBlocks(
    tf,
    states.map((s) => s.l),
    lead,
    1,
  );
  const acc_o = assembleBlocks(
    tf,
    states.map((s) => s.acc_o),
    lead,
    Dv,
  );
  const [O, lse] = tf.tidy(() => {
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
    return [tf.div(acc, lSafe), tf.where(seen, tf.add(mSafe, tf.log(lSafe)), tf.fill(l.shape, -Infinity))];
  });
  tf.dispose([m, l, acc_o]);
  return { O: O!, lse: lse! };
}

/** Algorithm 1's inner loop for query block i: the key blocks stream past, fully masked tiles skipped. */
function queryBlock(tf: TF, b: Blocks, cfg: FlashConfig, i: number, rows: Ranges, cols: Ranges): RowState {
  const [i0, i1] = rows[i]!;
  let state: RowState | null = null;
  for (let j = 0; j < cols.length; j++) {
    const [j0, j1] = cols[j]!;
    const t = cfg.plan.tile(i0, i1, j0, j1);
    if (t.kind === 'none') continue; // fully masked tile: skipped, as causal flash skips past the diagonal
    const prev: RowState | null = state;
    state = tidy(tf, (): RowState => {
      const tile = loadTile(tf, b, cfg, t, [i, i0, i1], [j, j0, j1], false);
      const rowmax = tf.max(tile.S, -1, true);
      // The first tile starts from m = -inf, l = 0, acc_o = 0, where alpha = 0 leaves exactly its own terms.
      const m_new = prev === null ? rowmax : tf.maximum(prev.m, rowmax);
      const m_safe = tf.where(tf.equal(m_new, -Infinity), tf.zerosLike(m_new), m_new);
      const P = tf.exp(tf.sub(tile.S, m_safe));
      let Pv = roundTensor(tf, P, cfg.precision);
      if (tile.Z !== null) Pv = tf.mul(Pv, tile.Z);
      const PV = bmm(tf, Pv, tile.Vj);
      if (prev === null) return { m: m_new, l: tf.sum(P, -1, true), acc_o: PV };
      const alpha = tf.exp(tf.sub(prev.m, m_safe));
      return {
        m: m_new,
        l: tf.add(tf.mul(alpha, prev.l), tf.sum(P, -1, true)),
        acc_o: tf.add(tf.mul(alpha, prev.acc_o), PV),
      };
    });
    if (prev !== null) tf.dispose([prev.m, prev.l, prev.acc_o]);
  }
  if (state !== null) return state;
  // No key of any block is visible: the rows keep m = -inf and l = 0 (O = 0, lse = -inf).
  const [N, n] = b.Q[i]!.t.shape as [number, number];
  return { m: tf.fill([N, n, 1], -Infinity), l: tf.zeros([N, n, 1]), acc_o: tf.zeros([N, n, b.V[0]!.t.shape[2]!]) };
}
