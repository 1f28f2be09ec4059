/**
 * LoRA kernels broken the ways LoRA code goes wrong (used only in tests), each targeting one
 * relation in properties/lora.test.ts (detachedAdapters: properties/training-convergence.test.ts):
 *
 *   swappedScaling    alpha/sqrt(r) where alpha/r is asked and back (huggingface/peft#1244)
 *   mergedWrongSign   merged weight W0 - s·B·A (huggingface/peft#1388: merged drifts from unmerged)
 *   detachedA         A's gradient never arrives (huggingface/peft#137)
 *   detachedB         B's gradient never arrives: at B = 0 the adapter can never start training
 *   detachedAdapters  neither A's nor B's gradient arrives: the adapters never train (peft#137)
 *   adapterForgotten  the adapter path is never added: y = x·W0ᵀ
 */
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/backend/index.js';
import type { LoraKernel } from '../../src/contract/index.js';
import { loraMerged, loraUnmerged } from '../../src/runner/index.js';

/** x with a zero gradient: tfjs has no stop_gradient, so a customGrad that returns zeros. */
function detached(tf: TF, x: Tensor2D): Tensor2D {
  const f = tf.customGrad(((xx: Tensor) => ({
    value: tf.clone(xx),
    gradFunc: (dy: Tensor) => tf.zerosLike(dy),
  })) as unknown as Parameters<TF['customGrad']>[0]);
  return f(x) as Tensor2D;
}

export const swappedScaling: LoraKernel = {
  name: 'lora-swapped-scaling',
  forward: (x, W0, A, B, spec, tf) => loraUnmerged.forward(x, W0, A, B, { ...spec, rslora: !spec.rslora }, tf),
};

export const mergedWrongSign: LoraKernel = {
  name: 'lora-merged-wrong-sign',
  forward: (x, W0, A, B, spec, tf) => loraMerged.forward(x, W0, A, tf.neg(B), spec, tf),
};

export const detachedA: LoraKernel = {
  name: 'lora-detached-A',
  forward: (x, W0, A, B, spec, tf) => loraUnmerged.forward(x, W0, detached(tf, A), B, spec, tf),
};

export const detachedB: LoraKernel = {
  name: 'lora-detached-B',
  forward: (x, W0, A, B, spec, tf) => loraUnmerged.forward(x, W0, A, detached(tf, B), spec, tf),
};

export const detachedAdapters: LoraKernel = {
  name: 'lora-detached-adapters',
  forward: (x, W0, A, B, spec, tf) => loraUnmerged.forward(x, W0, detached(tf, A), detached(tf, B), spec, tf),
};

export const adapterForgotten: LoraKernel = {
  name: 'lora-adapter-forgotten',
  forward: (x, W0, A, B, spec, tf) => loraUnmerged.forward(x, W0, A, tf.mul(B, 0), spec, tf),
};
