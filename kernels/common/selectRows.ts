/**
 * Row selection with a gradient on every backend: out[t] = x[indices[t]] (index -1 = a zero row),
 * tf.gather along axis 0 with its backward written as tf.scatterND.
 *
 * tfjs: gather's gradient is unsortedSegmentSum, which the wasm backend does not register
 * (tensorflow/tfjs#8082, kept in corpus/upstream). scatterND sums duplicate indices, which is the
 * gradient of a gather, and exists on cpu and wasm. A one-hot matMul would also work but turns a
 * NaN in an unselected row into NaN everywhere (0 · NaN), which is exactly what junk tests forbid.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/contract/index.js';

export function selectRows(tf: TF, x: Tensor, indices: ArrayLike<number>): Tensor {
  const rows = x.shape[0]!;
  const rest = x.shape.slice(1);
  // -1 reads row `rows` of x with a zero row appended.
  const idx = Int32Array.from(indices, (i) => (i < 0 ? rows : i));
  const hasZero = idx.some((i) => i === rows);
  // tfjs: customGrad's typing passes a save function among the inputs; we take only x.
  const f = tf.customGrad(((xx: Tensor) => {
    const value = tf.tidy(() => {
      const src = hasZero ? tf.concat([xx, tf.zeros([1, ...rest])], 0) : xx;
      return tf.gather(src, tf.tensor1d(idx, 'int32'), 0);
    });
    const gradFunc = (dy: Tensor) =>
      tf.tidy(() => {
        const full = tf.scatterND(tf.tensor2d(idx, [idx.length, 1], 'int32'), dy, [hasZero ? rows + 1 : rows, ...rest]);
        return hasZero ? tf.slice(full, 0, rows) : full;
      });
    return { value, gradFunc };
  }) as unknown as Parameters<TF['customGrad']>[0]);
  return f(x);
}
