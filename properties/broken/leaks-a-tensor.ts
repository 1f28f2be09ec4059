/**
 * Broken: every call keeps one tensor alive (a mask built with tf.keep "for reuse" and never
 * disposed), so a training loop runs out of memory slowly. Correct flash otherwise.
 * Used only to prove that properties/leaks.test.ts can fail.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { AttentionKernel } from '../../src/contract/index.js';
import { flashKernel } from '../../src/runner/index.js';

/** Held so the leak is a real reference, not garbage the test could rely on. */
export const kept: Tensor[] = [];

const kernel: AttentionKernel = {
  name: 'leaks-a-tensor',
  forward(q, k, v, opts, tf) {
    kept.push(tf.keep(tf.ones([q.shape[2], k.shape[2]], 'bool')));
    return flashKernel.forward(q, k, v, opts, tf);
  },
};
export default kernel;
