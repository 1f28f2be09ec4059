/**
 * The LoRA linear the model's projections use: y = x·W0ᵀ + s · (keep ∘ x)·Aᵀ·Bᵀ, unmerged
 * (contract: src/contract/lora.ts). `keep` is the dropout multiplier [N, in] (1/(1-p) or 0) or null.
 */
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/backend/index.js';

export function loraLinear(tf: TF, x: Tensor2D, W0: Tensor2D, A: Tensor2D, B: Tensor2D, s: number, keep: Tensor | null): Tensor {
  const xd = keep === null ? x : tf.mul(x, keep);
  const delta = tf.matMul(tf.matMul(xd, A, false, true), B, false, true);
  return tf.add(tf.matMul(x, W0, false, true), tf.mul(delta, s));
}
