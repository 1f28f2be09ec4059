/**
 * Emulated low precision inside tfjs kernels: rounds a float32 tensor to bfloat16 or float16
 * values (float32 is the identity). The rounding's gradient rounds the incoming gradient the same
 * way, so a kernel that rounds its inputs at entry also returns gradients in that precision, as a
 * bf16/fp16 framework would.
 *
 * Method: Veltkamp splitting, hi = c - (c - x) with c = x·(2^(24-p) + 1), which in float32
 * arithmetic yields x rounded to p significant bits (p = 8 for bfloat16, 11 for float16). Exact on
 * backends that round every float32 op (cpu, wasm). float16 adds its range: |x| >= 65520 becomes
 * ±Inf, and below 2^-14 values snap to multiples of 2^-24 (tf.round is half-to-even).
 * Known deviation: for |x| > 1e30 (c would overflow) bfloat16 leaves x unrounded.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Precision, TF } from '../../src/contract/index.js';

function split(tf: TF, x: Tensor, bits: number): Tensor {
  const c = tf.mul(x, 2 ** (24 - bits) + 1);
  return tf.sub(c, tf.sub(c, x));
}

function roundRaw(tf: TF, x: Tensor, precision: Precision): Tensor {
  return tf.tidy(() => {
    const a = tf.abs(x);
    if (precision === 'bfloat16') return tf.where(tf.greater(a, 1e30), x, split(tf, x, 8));
    // float16
    const normal = split(tf, x, 11);
    const sub = tf.div(tf.round(tf.mul(x, 2 ** 24)), 2 ** 24);
    const inRange = tf.where(tf.less(a, 2 ** -14), sub, normal);
    return tf.where(tf.greaterEqual(a, 65520), tf.mul(tf.sign(x), Infinity), inRange);
  });
}

/** Rounds x to `precision`; the gradient is the incoming gradient rounded the same way. */
export function roundTensor<T extends Tensor>(tf: TF, x: T, precision: Precision): T {
  if (precision === 'float32') return x;
  // tfjs: customGrad's typing passes a save function among the inputs; we take only x.
  const f = tf.customGrad(((xx: Tensor) => ({
    value: roundRaw(tf, xx, precision),
    gradFunc: (dy: Tensor) => roundRaw(tf, dy, precision),
  })) as unknown as Parameters<TF['customGrad']>[0]);
  return f(x) as T;
}
