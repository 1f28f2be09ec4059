/**
 * Batched matrix product on tfjs-wasm's fast path, for the kernels' big products.
 *
 * tfjs-backend-wasm 4.22 runs BatchMatMul through XNNPACK only when neither operand is transposed
 * and the batch is 1 (batch_mat_mul_impl.cc); every other call runs a naive blocked triple loop.
 * Measured on the 2-core machine: [4,256,64] x [4,64,256] 0.9 GFLOP/s, the same four products
 * as batch-1 calls 4.2 GFLOP/s, 1024³ 10 GFLOP/s plain and 0.7 with transposeB. tfjs's own
 * gradient of matMul passes transposeA/transposeB, so a training step pays the slow loop twice.
 *
 *   matMul(tf, a, b, tA, tB) = op(a) · op(b), op = transpose of the last two dims when asked,
 *                              a and b with the same batch dims (no broadcasting)
 *
 * On wasm, for products of at least FAST_WORK multiply-adds: op(a), op(b) made explicit (a copy,
 * O(n²) next to the O(n³) product), then one batch-1 product per batch element, the elements cut
 * by heap copies (slice.ts; tf.unstack read each operand back to the host once per element: 22% of
 * eager's CPU at S = 1024, whose step went from 774 to 367 ms of CPU time). Its gradient is
 * two more such products (for C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC; the transposed forms follow).
 * Anywhere else (cpu, tensorflow, small products, broadcast batches) it is tf.matMul itself, so
 * the tiny cases of fuzzing keep tfjs's op count.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/contract/index.js';
import { splitBlocks } from './slice.js';

/** m·k·n below which the per-op overhead of splitting the batch outweighs the faster product. */
export const FAST_WORK = 32 * 32 * 32;

const lastTwo = (t: Tensor): number[] => [...t.shape.slice(0, -2).keys(), t.rank - 1, t.rank - 2];

/** op(a)·op(b) as batch-1 products without transposes (the XNNPACK path); same batch dims. */
function split(tf: TF, a: Tensor, b: Tensor, tA: boolean, tB: boolean): Tensor {
  return tf.tidy(() => {
    const A = tA ? tf.transpose(a, lastTwo(a)) : a;
    const Bm = tB ? tf.transpose(b, lastTwo(b)) : b;
    const [m, k] = A.shape.slice(-2) as [number, number];
    const n = Bm.shape[Bm.rank - 1]!;
    const batch = A.shape.slice(0, -2);
    const N = batch.reduce((x, y) => x * y, 1);
    const A3 = tf.reshape(A, [N, m, k]);
    const B3 = tf.reshape(Bm, [N, k, n]);
    if (N === 1) return tf.reshape(tf.matMul(A3, B3), [...batch, m, n]);
    // Cut by heap copies (slice.ts): tf.unstack on wasm reads the whole operand back to the host per piece.
    const ones = new Array<number>(N).fill(1);
    const Bs = splitBlocks(tf, B3, 0, ones);
    const Cs = splitBlocks(tf, A3, 0, ones).map((x, i) =>
      tf.reshape(tf.matMul(tf.reshape(x, [m, k]), tf.reshape(Bs[i]!, [k, n])), [1, m, n]),
    );
    return tf.reshape(tf.concat(Cs, 0), [...batch, m, n]);
  });
}

function fastApplies(tf: TF, a: Tensor, b: Tensor, tA: boolean, tB: boolean): boolean {
  if (tf.getBackend() !== 'wasm' || a.rank < 3 || a.rank !== b.rank) return false;
  if (a.shape.slice(0, -2).some((d, i) => d !== b.shape[i])) return false;
  const [r0, r1] = [a.rank - 2, a.rank - 1];
  const m = a.shape[tA ? r1 : r0]!;
  const k = a.shape[tA ? r0 : r1]!;
  const n = b.shape[tB ? r0 : r1]!;
  return m * k * n >= FAST_WORK;
}

export function matMul(tf: TF, a: Tensor, b: Tensor, tA = false, tB = false): Tensor {
  if (!fastApplies(tf, a, b, tA, tB)) return tf.matMul(a, b, tA, tB);
  // tfjs: customGrad's typing passes `save` among the inputs.
  const product = tf.customGrad(((x: Tensor, y: Tensor, save: (ts: Tensor[]) => void) => {
    save([x, y]);
    return {
      value: split(tf, x, y, tA, tB),
      gradFunc: (dC: Tensor, saved: Tensor[]) => {
        const [A, B] = saved as [Tensor, Tensor];
        // C = op(A)·op(B):  d op(A) = dC·op(B)ᵀ,  d op(B) = op(A)ᵀ·dC; un-transpose where op transposed.
        const dA = tA ? split(tf, B, dC, tB, true) : split(tf, dC, B, false, !tB);
        const dB = tB ? split(tf, dC, A, true, tA) : split(tf, A, dC, !tA, false);
        return [dA, dB];
      },
    };
  }) as unknown as Parameters<TF['customGrad']>[0]);
  return product(a, b) as Tensor;
}
