/**
 * LoRA linear layers in tfjs (Hu et al. 2021, eq. 3; contract in src/contract/lora.ts), in the
 * two forms PEFT runs them:
 *
 *   'lora'         unmerged:  y = x·W0ᵀ + s · dropout(x)·Aᵀ·Bᵀ
 *   'lora-merged'  merged:    y = x·(W0 + s·B·A)ᵀ
 *
 *   x [N, in]   W0 [out, in] (frozen)   A [r, in]   B [out, r]   y [N, out]
 *   s = alpha / r, or alpha / sqrt(r) with rsLoRA.
 *
 * Dropout acts on the adapter's input only: element (n, f) of x is kept iff
 * `dropoutKeep(seed, 0, 0, n, f, p)`, kept values scaled by 1/(1-p) (one multiplier tensor, built
 * on the host, so the forward and the backward drop the same elements). The merged form has no
 * separate adapter input to drop, so it refuses p > 0 (PEFT likewise only merges for inference).
 *
 * W0 is frozen: it enters only through customGrad ops that close over it, so autodiff never
 * computes a gradient for it, even if a caller's tf.grads lists it.
 * Gradients of x, A and B come from tfjs autodiff. Emulated bf16/fp16 (`spec.precision`): x, A, B
 * pass through a rounding at entry (the identity on the rounded inputs, whose gradient rounds dx,
 * dA, dB), h and y are rounded (merged: W and y); products and sums are float32.
 */
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { dropoutScaleBlock, type LoraKernel, type LoraSpec, loraScaling, type TF } from '../src/contract/index.js';
import { roundTensor } from './common/round.js';

type CustomGradFn = Parameters<TF['customGrad']>[0];

/** x·W0ᵀ with W0 frozen: the gradient reaches x (dY·W0) and never W0. */
function frozenBase(tf: TF, x: Tensor2D, W0: Tensor2D): Tensor2D {
  // tfjs: customGrad's typing passes a save function among the inputs; we take only x.
  const f = tf.customGrad(((xx: Tensor) => ({
    value: tf.matMul(xx as Tensor2D, W0, false, true),
    gradFunc: (dy: Tensor) => tf.matMul(dy as Tensor2D, W0),
  })) as unknown as CustomGradFn);
  return f(x) as Tensor2D;
}

/** W0 + delta with W0 frozen: the gradient reaches delta only. */
function frozenPlus(tf: TF, W0: Tensor2D, delta: Tensor2D): Tensor2D {
  const f = tf.customGrad(((d: Tensor) => ({
    value: tf.add(W0, d),
    gradFunc: (dy: Tensor) => tf.clone(dy),
  })) as unknown as CustomGradFn);
  return f(delta) as Tensor2D;
}

/** The dropout multiplier [N, in] (keep/(1-p)), or null without dropout. */
function dropoutMultiplier(tf: TF, spec: LoraSpec, N: number, In: number): Tensor2D | null {
  const p = spec.dropout?.p ?? 0;
  if (p <= 0) return null;
  return tf.tensor2d(dropoutScaleBlock(spec.dropout!.seed, p, [1, 1, N, In]), [N, In], 'float32');
}

/** Unmerged LoRA, as PEFT's Linear.forward computes it while training. */
export const loraUnmerged: LoraKernel = {
  name: 'lora',
  forward(x0, W0, A0, B0, spec, tf) {
    const p = spec.precision ?? 'float32';
    const [x, A, B] = [roundTensor(tf, x0, p), roundTensor(tf, A0, p), roundTensor(tf, B0, p)];
    const s = loraScaling(spec);
    const [N, In] = x.shape;
    const keep = dropoutMultiplier(tf, spec, N, In);
    const xd = keep === null ? x : tf.mul(x, keep);
    const h = roundTensor(tf, tf.matMul(xd, A, false, true), p); // [N, r]
    const adapter = tf.mul(tf.matMul(h, B, false, true), s); // [N, out]
    return roundTensor(tf, tf.add(frozenBase(tf, x, W0), adapter), p);
  },
};

/** Merged LoRA: the adapter folded into the weight, as after PEFT's merge_and_unload. */
export const loraMerged: LoraKernel = {
  name: 'lora-merged',
  supports: (spec) =>
    (spec.dropout?.p ?? 0) > 0 ? 'no adapter dropout: the merged weight has no separate adapter input to drop' : true,
  forward(x, W0, A, B, spec, tf) {
    const p = spec.dropout?.p ?? 0;
    if (p > 0) {
      throw new Error(
        `lora-merged: spec.dropout.p: the merged weight W0 + s·B·A has no separate adapter input to drop, so ` +
          `dropout must be 0 or null; got p=${p} (use 'lora')`,
      );
    }
    const prec = spec.precision ?? 'float32';
    const [xr, Ar, Br] = [roundTensor(tf, x, prec), roundTensor(tf, A, prec), roundTensor(tf, B, prec)];
    // merge_and_unload in bf16 stores W0 + s·B·A rounded: the drift huggingface/peft#1388 reports
    const W = roundTensor(tf, frozenPlus(tf, W0, tf.mul(tf.matMul(Br, Ar), loraScaling(spec))), prec); // [out, in]
    return roundTensor(tf, tf.matMul(xr, W, false, true), prec);
  },
};
