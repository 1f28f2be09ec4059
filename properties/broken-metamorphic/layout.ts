/**
 * A strided kernel broken the way layout bugs go (used only in tests): it ignores the strides it is
 * given and assumes each input is a contiguous [B, S, H, D] buffer starting at its offset (the
 * flash-attn convention), reshaping where it should follow the strides. Right for BSHD buffers,
 * wrong for BHSD (reads BHSD as BSHD), packed QKV (row stride W) and gapped views (reads the gaps).
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../../src/backend/index.js';
import { type AttentionKernel, numel, splitOutput } from '../../src/contract/index.js';
import type { StridedKernel } from '../support/metamorphic-layout.js';

export function assumingContiguousBSHD(kernel: AttentionKernel): StridedKernel {
  return (buffers, views, opts) => {
    const [q, k, v] = views.map((w) => {
      const [B, H, S, D] = w.shape;
      const flat = tf.slice(tf.reshape(buffers[w.buffer]!, [-1]), [w.offset], [numel(w.shape)]);
      return tf.transpose(tf.reshape(flat, [B, S, H, D]), [0, 2, 1, 3]) as Tensor4D;
    }) as [Tensor4D, Tensor4D, Tensor4D];
    return splitOutput(kernel.forward(q, k, v, opts, tf)).out;
  };
}
