/**
 * The grouped layout cut into blocks for the tile loops, the products of a tile, and the blocks put
 * back together.
 *
 * All heads ride in one batch dim: N = B·Hkv heads n = b·Hkv + kvh, each with its group's G query
 * heads folded into the rows (operands.ts):
 *
 *   x [B, Hkv, G, S, d]  ->  blocks[i]  [N, G·R, d]     (R = rows of block i; G = 1 for K, V)
 *                                or, transposed, [N, d, G·R]
 *
 * Products are batched over N. On wasm, tfjs 4.22 runs a product through XNNPACK only when the batch
 * is 1 and neither operand is transposed (batch_mat_mul_impl.cc; anything else takes a naive loop at
 * a tenth of the speed, kernels/common/matMul.ts has the measurements), and XNNPACK packs the second
 * operand as weights once per tensor. So a product's second operand is an `Operand`: the blocks it
 * comes from are cut once per pass into one 2-D tensor per head (on wasm only, where N > 1), and each
 * tile's product is N 2-D products with those, their first operands cut from the tile. Everywhere
 * else it is one tf.matMul. Cutting goes through kernels/common/slice.ts: tfjs-wasm's own slice copies
 * its whole input to the host once per piece.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/contract/index.js';
import { slice, splitBlocks } from '../common/slice.js';

type Ranges = ReadonlyArray<readonly [number, number]>;

const sizesOf = (ranges: Ranges) => ranges.map(([a, b]) => b - a);

/**
 * A product's second operand [N, k, n] and, on wasm, its heads as 2-D tensors [k, n] with data of
 * their own (else null). tfjs-wasm 4.22 caches XNNPACK's packed weights by the second operand's data
 * id alone, not its shape: a reshape of a tensor already used as weights with another [k, n] (a
 * [n, 1] block and its [1, n] "transpose") reuses the wrong packing and aborts the wasm module
 * (memory access out of bounds). So the heads are always copies, each used with one shape only.
 */
export interface Operand {
  readonly t: Tensor;
  readonly heads: readonly Tensor[] | null;
}

/** Makes t [N, k, n] an Operand, cutting (copying) its heads on wasm. Does not take ownership of t. */
export function operand(tf: TF, t: Tensor): Operand {
  if (tf.getBackend() !== 'wasm') return { t, heads: null };
  const [N, k, n] = t.shape as [number, number, number];
  // One piece is copied too: splitBlocks would hand back a view of t's own data.
  const pieces = N === 1 ? [slice(tf, t, [0, 0, 0], [1, k, n])] : splitBlocks(tf, t, 0, new Array<number>(N).fill(1));
  const heads = pieces.map((h) => {
    const two = tf.reshape(h, [k, n]);
    h.dispose();
    return two;
  });
  return { t, heads };
}

export function disposeOperands(tf: TF, ops: ReadonlyArray<Operand | null>): void {
  for (const op of ops) if (op !== null) tf.dispose([op.t, ...(op.heads ?? [])]);
}

/** a [N, m, k] · b [N, k, n] -> [N, m, n]: one tf.matMul, or on wasm one 2-D product per head. */
export function bmm(tf: TF, a: Tensor, b: Operand): Tensor {
  if (b.heads === null) return tf.matMul(a, b.t);
  const [N, m, k] = a.shape as [number, number, number];
  const n = b.t.shape[2]!;
  return tf.tidy(() => {
    const rows = N === 1 ? [a] : splitBlocks(tf, a, 0, new Array<number>(N).fill(1));
    return concat(
      tf,
      rows.map((r, h) => tf.reshape(tf.matMul(tf.reshape(r, [m, k]), b.heads![h]!), [1, m, n])),
      0,
    );
  });
}

/** x [B, Hkv, G, S, d] or [B, Hkv, S, d] -> per row block [N, G·R, d], or [N, d, G·R] when transposed. */
export function cutBlocks(tf: TF, x: Tensor, ranges: Ranges, transposed = false): Tensor[] {
  const [B, Hkv] = x.shape as number[];
  const G = x.rank === 5 ? x.shape[2]! : 1;
  const [S, d] = x.shape.slice(-2) as [number, number];
  const all = tf.reshape(x, [B! * Hkv!, G, S, d]);
  const blocks = splitBlocks(tf, all, 2, sizesOf(ranges));
  all.dispose();
  return blocks.map((block) => {
    const [N, , R] = block.shape as number[];
    const three = tf.reshape(block, [N!, G * R!, d]);
    block.dispose();
    if (!transposed) return three;
    // [N, n, 1] -> [N, 1, n] keeps the memory order: a reshape, not a transpose.
    const t = d === 1 ? tf.reshape(three, [N!, 1, G * R!]) : tf.transpose(three, [0, 2, 1]);
    three.dispose();
    return t;
  });
}

/** The bias [bB, bH, bG, Sq, Sk] cut into tiles [bB, bH, bG, R, C], per row block and key block. */
export function cutTiles(tf: TF, bias: Tensor, rows: Ranges, cols: Ranges): Tensor[][] {
  return splitBlocks(tf, bias, 3, sizesOf(rows)).map((r) => {
    const tiles = splitBlocks(tf, r, 4, sizesOf(cols));
    r.dispose();
    return tiles;
  });
}

/** tf.concat, but a single piece is reshaped, not copied (tf.concat of one tensor clones it). */
export function concat(tf: TF, xs: Tensor[], axis: number): Tensor {
  return xs.length === 1 ? tf.reshape(xs[0]!, xs[0]!.shape) : tf.concat(xs, axis);
}

/**
 * The inverse of cutBlocks (untransposed): blocks [N, G·R, d] -> [B, Hkv, G, S, d] (`lead` =
 * [B, Hkv, G]) or [B, Hkv, S, d] (`lead` = [B, Hkv]). Disposes the blocks.
 */
export function assembleBlocks(tf: TF, blocks: Tensor[], lead: readonly number[], d: number): Tensor {
  const axis = lead.length;
  const parts = blocks.map((t) => tf.reshape(t, [...lead, t.shape[1]! / (lead[2] ?? 1), d]));
  tf.dispose(blocks);
  const whole = concat(tf, parts, axis);
  tf.dispose(parts);
  return whole;
}

/** The inverse of cutTiles: tiles[i][j] [bB, bH, bG, R, C] -> [bB, bH, bG, Sq, Sk]. Disposes the tiles. */
export function assembleTiles(tf: TF, tiles: Tensor[][]): Tensor {
  const rows = tiles.map((row) => {
    const r = concat(tf, row, 4);
    tf.dispose(row);
    return r;
  });
  const whole = concat(tf, rows, 3);
  tf.dispose(rows);
  return whole;
}
