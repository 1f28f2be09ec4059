/**
 * Kernels with broken dropout, used only to prove that properties/dropout.test.ts can fail. Each is
 * a plain, correct eager attention (repeat_interleave, the contract's visibility, empty rows 0)
 * whose dropout multiplier Z (keep / (1 - p), [B, Hq, Sq, Sk]) comes from a different source:
 *
 *   randomDropout          Math.random, a framework RNG: no one else drops the same elements
 *   seedOffByOne           the contract's hash with seed + 1 (a seed not threaded through)
 *   keepProbConfusion      p taken as the keep probability (TensorFlow's keep_prob vs torch's p)
 *   backwardMaskDiffers    forward with the right mask, gradients with another one, like a
 *                          recompute that draws a fresh mask (NVIDIA/TransformerEngine#1031)
 *   pZeroTakesOtherPath    correct dropout, but any dropout option, p = 0 included, switches to
 *                          a different summation order (flash), so p = 0 is not "no dropout"
 *
 * Float32 only, and only where the broken part matters (`supports`).
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { repeatKv, visibilityMask, zeroUnseenKeys } from '../../kernels/eager/index.js';
import type { TF } from '../../src/backend/index.js';
import { type AttentionKernel, dropoutScaleBlock, type KernelOptions } from '../../src/contract/index.js';
import { flashKernel } from '../../src/runner/index.js';

type Shape4 = [number, number, number, number];
/** The dropout multiplier of a [B, Hq, Sq, Sk] weight tensor. */
type Multiplier = (seed: number, p: number, shape: Shape4) => Float32Array;

const hashed: Multiplier = (seed, p, shape) => dropoutScaleBlock(seed, p, shape);

/** out = (softmax(scale·Q·Kᵀ over visible keys) ∘ Z) · V, with rows that see nothing = 0. */
function attend(tf: TF, q: Tensor4D, k: Tensor4D, v: Tensor4D, opts: KernelOptions, Z: Tensor | null): Tensor {
  const [B, Hq, Sq, D] = q.shape;
  const [, Hkv, Sk] = k.shape;
  const G = Hq / Hkv;
  const vis = visibilityMask(opts, { B, Hq, Hkv, Sq, Sk, D, Dv: v.shape[3] });
  [k, v] = zeroUnseenKeys(k, v, vis);
  // tfjs: a rank-5 tile has no gradient, so repeat_interleave goes through eager's rank-4 repeatKv.
  const rep = (x: Tensor4D) => repeatKv(x, G);
  let S = tf.mul(tf.matMul(q, rep(k), false, true), opts.scale);
  if (vis !== null) S = tf.where(tf.broadcastTo(vis, S.shape), S, tf.fill(S.shape, -1e30));
  let P = tf.softmax(S);
  if (vis !== null) P = tf.mul(P, tf.cast(tf.any(tf.broadcastTo(vis, S.shape), -1, true), 'float32'));
  if (Z !== null) P = tf.mul(P, Z);
  return tf.matMul(P, rep(v));
}

/** A value whose gradient is zero (stop_gradient). */
function detach(tf: TF, x: Tensor): Tensor {
  // tfjs: customGrad's typing passes a save function among the inputs; we take only x.
  const f = tf.customGrad(((xx: Tensor) => ({
    value: tf.clone(xx),
    gradFunc: (dy: Tensor) => tf.zerosLike(dy),
  })) as unknown as Parameters<TF['customGrad']>[0]);
  return f(x);
}

function dropoutKernel(name: string, forwardZ: Multiplier, backwardZ: Multiplier = forwardZ): AttentionKernel {
  return {
    name,
    supports: (opts) => (opts.precision !== 'float32' ? 'float32 only' : true),
    forward(q, k, v, opts, tf) {
      const p = opts.dropout?.p ?? 0;
      if (p === 0) return attend(tf, q, k, v, opts, null);
      const shape: Shape4 = [q.shape[0], q.shape[1], q.shape[2], k.shape[2]];
      const Z = (m: Multiplier) => tf.tensor4d(m(opts.dropout!.seed, p, shape), shape);
      if (forwardZ === backwardZ) return attend(tf, q, k, v, opts, Z(forwardZ));
      // Value of the forward mask, gradient of the backward one: f1 + f2 - f2 with f1 and the second f2 detached.
      const f2 = attend(tf, q, k, v, opts, Z(backwardZ));
      return tf.sub(tf.add(detach(tf, attend(tf, q, k, v, opts, Z(forwardZ))), f2), detach(tf, f2));
    },
  };
}

export const randomDropout = dropoutKernel('random-dropout', (_seed, p, shape) =>
  new Float32Array(shape.reduce((a, b) => a * b)).map(() => (Math.random() >= p ? 1 / (1 - p) : 0)),
);

export const seedOffByOne = dropoutKernel('dropout-seed-off-by-one', (seed, p, shape) => hashed(seed + 1, p, shape));

export const keepProbConfusion = dropoutKernel('dropout-keep-prob-confusion', (seed, p, shape) =>
  hashed(seed, 1 - p, shape),
);

export const backwardMaskDiffers = dropoutKernel('dropout-backward-mask-differs', hashed, (seed, p, shape) =>
  hashed(seed ^ 0x5bd1e995, p, shape),
);

export const pZeroTakesOtherPath: AttentionKernel = {
  name: 'dropout-p-zero-takes-other-path',
  supports: (opts) => (opts.precision !== 'float32' ? 'float32 only' : true),
  forward: (q, k, v, opts, tf) =>
    opts.dropout === null ? attend(tf, q, k, v, opts, null) : flashKernel.forward(q, k, v, opts, tf),
};
