/**
 * The grouped layout cut into what the tile loops read, and put back together.
 *
 * A "head" here is one kv-head group: batch row b and kv head kvh, head index b·Hkv + kvh, with its
 * G query heads. Each head's tensors are cut into row blocks and made 2-D:
 *
 *   x [B, Hkv, G, S, d]  ->  blocks[head][n]  [G·R, d]     (R = rows of block n; G = 1 for K, V)
 *                                  or, transposed, [d, G·R]
 *
 * so every product of a tile is one batch-1 matmul with no transposed operand: tfjs-wasm 4.22 runs
 * only those through XNNPACK (kernels/common/matMul.ts has the measurements) and any batched or
 * transposed product through its naive loop. Cutting goes through kernels/common/slice.ts, because
 * tfjs-wasm's own slice copies its whole input to the host once per piece.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/contract/index.js';
import { splitBlocks } from '../common/slice.js';
import { type FlashConfig, type Grouped, groupedDims, type Head } from './operands.js';

const sizesOf = (ranges: ReadonlyArray<readonly [number, number]>) => ranges.map(([a, b]) => b - a);

/** x [B, Hkv, G, S, d] or [B, Hkv, S, d] -> per head, per row block: [G·R, d], or [d, G·R] when transposed. */
export function cutBlocks(
  tf: TF,
  x: Tensor,
  ranges: ReadonlyArray<readonly [number, number]>,
  transposed = false,
): Tensor[][] {
  const [B, Hkv] = x.shape as number[];
  const G = x.rank === 5 ? x.shape[2]! : 1;
  const [S, d] = x.shape.slice(-2) as [number, number];
  const all = tf.reshape(x, [B! * Hkv!, G, S, d]);
  const heads = splitBlocks(tf, all, 0, new Array<number>(B! * Hkv!).fill(1));
  all.dispose();
  return heads.map((head) => {
    const blocks = splitBlocks(tf, head, 2, sizesOf(ranges));
    head.dispose();
    return blocks.map((block) => {
      const rows = G * block.shape[2]!;
      const two = tf.reshape(block, [rows, d]);
      block.dispose();
      if (!transposed) return two;
      // [n, 1] -> [1, n] keeps the memory order: a reshape, not a transpose.
      const t = d === 1 ? tf.reshape(two, [1, rows]) : tf.transpose(two);
      two.dispose();
      return t;
    });
  });
}

/**
 * The bias [bB, bH, bG, Sq, Sk] cut into tiles: per bias head (bb·bH + bh), per row block, per key
 * block, [bG, R, C].
 */
export function cutTiles(
  tf: TF,
  bias: Tensor,
  rows: ReadonlyArray<readonly [number, number]>,
  cols: ReadonlyArray<readonly [number, number]>,
): Tensor[][][] {
  const [bB, bH, bG, Sq, Sk] = bias.shape as number[];
  const all = tf.reshape(bias, [bB! * bH!, bG!, Sq!, Sk!]);
  const heads = splitBlocks(tf, all, 0, new Array<number>(bB! * bH!).fill(1));
  all.dispose();
  return heads.map((head) => {
    const h3 = tf.reshape(head, [bG!, Sq!, Sk!]);
    head.dispose();
    const rowBlocks = splitBlocks(tf, h3, 1, sizesOf(rows));
    h3.dispose();
    return rowBlocks.map((r) => {
      const tiles = splitBlocks(tf, r, 2, sizesOf(cols));
      r.dispose();
      return tiles;
    });
  });
}

/** tf.concat, but a single piece is reshaped, not copied (tf.concat of one tensor clones it). */
export function concat(tf: TF, xs: Tensor[], axis: number): Tensor {
  return xs.length === 1 ? tf.reshape(xs[0]!, xs[0]!.shape) : tf.concat(xs, axis);
}

/**
 * The inverse of cutBlocks (untransposed): blocks[head][n] [G·R, d] -> [B, Hkv, G, S, d] (`lead` =
 * [B, Hkv, G]) or [B, Hkv, S, d] (`lead` = [B, Hkv]). Disposes the blocks.
 */
export function assembleBlocks(tf: TF, blocks: Tensor[][], lead: readonly number[], d: number): Tensor {
  const G = lead.length === 3 ? lead[2]! : 1;
  const heads = blocks.map((row) => {
    const parts = row.map((t) => tf.reshape(t, [1, G, t.shape[0]! / G, d]));
    tf.dispose(row);
    const whole = concat(tf, parts, 2);
    tf.dispose(parts);
    return whole;
  });
  const all = concat(tf, heads, 0);
  tf.dispose(heads);
  const out = tf.reshape(all, [...lead, all.shape[2]!, d]);
  all.dispose();
  return out;
}

/** The inverse of cutTiles: tiles[head][i][j] [bG, R, C] -> [bB, bH, bG, Sq, Sk]. Disposes the tiles. */
export function assembleTiles(tf: TF, tiles: Tensor[][][], lead: readonly [number, number, number]): Tensor {
  const heads = tiles.map((rowBlocks) => {
    const rows = rowBlocks.map((row) => {
      const r = concat(tf, row, 2);
      tf.dispose(row);
      return r;
    });
    const h = concat(tf, rows, 1);
    tf.dispose(rows);
    const h4 = tf.expandDims(h, 0);
    h.dispose();
    return h4;
  });
  const all = concat(tf, heads, 0);
  tf.dispose(heads);
  const out = tf.reshape(all, [...lead, all.shape[2]!, all.shape[3]!]);
  all.dispose();
  return out;
}

/**
 * Every head of the grouped operands cut into blocks for the tile loops (the backward also gets the
 * query blocks transposed and the key blocks as they are). `dispose` frees all of it.
 */
export function cutHeads(
  tf: TF,
  g: Grouped,
  cfg: FlashConfig,
  rows: ReadonlyArray<readonly [number, number]>,
  cols: ReadonlyArray<readonly [number, number]>,
  backward: boolean,
): { heads: Head[]; dispose: () => void } {
  const { B, Hkv, G } = groupedDims(g);
  const Q = cutBlocks(tf, g.Q, rows);
  const K = cutBlocks(tf, g.K, cols);
  const V = cutBlocks(tf, g.V, cols);
  // The forward's products read Kᵀ (S = Qi·Kjᵀ), the backward's read Qᵀ (Sᵀ = Kj·Qiᵀ).
  const QT = backward ? Q.map((h) => h.map((q) => tf.transpose(q))) : null;
  const KT = backward ? null : K.map((h) => h.map((k) => tf.transpose(k)));
  if (!backward) tf.dispose(K.flat());
  const bias = g.bias != null ? cutTiles(tf, g.bias, rows, cols) : null;
  const [, bH] = (g.bias?.shape ?? [1, 1]) as number[];
  const alibi = cfg.alibi ?? null;
  const slopes =
    alibi === null
      ? null
      : tf.tidy(() => {
          const all = tf.reshape(alibi, [alibi.rank === 1 ? 1 : B, Hkv, G, 1, 1]);
          return splitBlocks(tf, tf.reshape(all, [-1, G, 1, 1]), 0, new Array<number>(all.shape[0]! * Hkv).fill(1));
        });
  const heads: Head[] = [];
  for (let b = 0; b < B; b++)
    for (let kvh = 0; kvh < Hkv; kvh++) {
      const n = b * Hkv + kvh;
      const biasHead = bias === null ? null : bias[(g.bias!.shape[0] === 1 ? 0 : b) * bH! + (bH === 1 ? 0 : kvh)]!;
      const slopeHead = slopes === null ? null : slopes[(alibi!.rank === 1 ? 0 : b) * Hkv + kvh]!;
      heads.push({
        b,
        kvh,
        Q: Q[n]!,
        QT: QT?.[n] ?? null,
        K: backward ? K[n]! : null,
        KT: KT?.[n] ?? null,
        V: V[n]!,
        bias: biasHead,
        slopes: slopeHead === null ? null : tf.reshape(slopeHead, [G, 1, 1]),
      });
    }
  const dispose = () => {
    tf.dispose([...Q.flat(), ...(KT?.flat() ?? []), ...V.flat(), ...(QT?.flat() ?? []), ...(bias?.flat(2) ?? [])]);
    if (backward) tf.dispose(K.flat());
    tf.dispose([...(slopes ?? []), ...heads.flatMap((h) => (h.slopes === null ? [] : [h.slopes]))]);
  };
  return { heads, dispose };
}
