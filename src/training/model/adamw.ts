/**
 * AdamW (Loshchilov & Hutter 2019) exactly as torch.optim.AdamW computes it (single-tensor,
 * non-amsgrad, non-fused path), in float64 on the host for the reference and in tfjs float32 for
 * the model under test. Step t counts from 1:
 *
 *   θ ← θ · (1 - lr·λ)                         decoupled weight decay, applied first
 *   m ← β1·m + (1-β1)·g
 *   v ← β2·v + (1-β2)·g²
 *   θ ← θ - (lr / (1-β1^t)) · m / (sqrt(v) / sqrt(1-β2^t) + ε)
 *
 * At t = 1 the update is lr·g/(|g| + ε): nearly sign(g), so a gradient that is noise-level in
 * float32 moves a parameter by up to lr. Cases therefore use an ε well above float32 noise.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../../backend/index.js';
import type { HostTensor } from '../../contract/index.js';
import type { AdamWConfig } from './config.js';

export interface AdamWHostState {
  readonly m: Float64Array;
  readonly v: Float64Array;
}

export function adamwHostState(n: number): AdamWHostState {
  return { m: new Float64Array(n), v: new Float64Array(n) };
}

/** One AdamW step t (>= 1) on a float64 parameter, in place. */
export function adamwStepHost(
  param: HostTensor,
  grad: HostTensor,
  state: AdamWHostState,
  t: number,
  cfg: AdamWConfig,
): void {
  const { lr, beta1, beta2, eps, weightDecay } = cfg;
  const stepSize = lr / (1 - beta1 ** t);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
  const p = param.data as Float64Array;
  for (let n = 0; n < p.length; n++) {
    const g = grad.data[n]!;
    p[n] = p[n]! * (1 - lr * weightDecay);
    state.m[n] = beta1 * state.m[n]! + (1 - beta1) * g;
    state.v[n] = beta2 * state.v[n]! + (1 - beta2) * g * g;
    p[n] = p[n]! - (stepSize * state.m[n]!) / (Math.sqrt(state.v[n]!) / bc2Sqrt + eps);
  }
}

export interface AdamWTfState {
  m: Tensor;
  v: Tensor;
}

/**
 * The same step in tfjs: returns the new parameter and state; the caller disposes the old ones.
 * Scalars are folded on the host in float64 and enter as float32 constants, as PyTorch passes
 * Python floats to its float32 kernels.
 */
export function adamwStepTf(
  tf: TF,
  param: Tensor,
  grad: Tensor,
  state: AdamWTfState,
  t: number,
  cfg: AdamWConfig,
): { param: Tensor; state: AdamWTfState } {
  const { lr, beta1, beta2, eps, weightDecay } = cfg;
  const stepSize = lr / (1 - beta1 ** t);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
  return tf.tidy(() => {
    const decayed = tf.mul(param, 1 - lr * weightDecay);
    const m = tf.add(tf.mul(state.m, beta1), tf.mul(grad, 1 - beta1));
    const v = tf.add(tf.mul(state.v, beta2), tf.mul(tf.square(grad), 1 - beta2));
    const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), eps);
    const next = tf.sub(decayed, tf.mul(tf.div(m, denom), stepSize));
    return { param: next, state: { m, v } };
  });
}
