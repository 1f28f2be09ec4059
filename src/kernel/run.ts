/**
 * Runs a tfjs kernel on host inputs: uploads them as float32, takes the forward output and the
 * gradients of sum(out ∘ dOut) by autodiff, downloads everything as float64, and disposes every
 * tensor it made (a kernel that leaks is caught by comparing tf.memory() around this call).
 */
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../backend/index.js';
import type { AttentionInputs, AttentionKernel, AttentionOptions, AttentionResult, HostTensor, KernelOptions, LoraInputs, LoraKernel, LoraResult, LoraSpec } from '../contract/index.js';

function upload(t: HostTensor): Tensor {
  return tf.tensor(Float32Array.from(t.data), [...t.shape], 'float32');
}

function download(t: Tensor): HostTensor {
  return { shape: [...t.shape], data: Float64Array.from(t.dataSync() as Float32Array) };
}

/** Host buffers to upload and how q, k, v (contract layout) are made from them, by tfjs ops. */
export interface KernelInputs {
  readonly buffers: ReadonlyArray<{ readonly shape: readonly number[]; readonly data: ArrayLike<number> }>;
  /** From the buffers (or their gradients) to q, k, v; the identity for contract-layout inputs. */
  views(buffers: readonly Tensor[]): [Tensor4D, Tensor4D, Tensor4D];
}

export interface ForwardBackwardOptions {
  /**
   * An output that does not depend on an input gets a zero gradient there instead of tfjs's
   * "Cannot compute gradient" error (the runner wants to judge e.g. a kernel that drops every key
   * block, not to crash on it).
   */
  readonly allowNoGradients?: boolean;
  /** Told when the forward pass has returned and the backward pass starts (for error reports). */
  readonly onBackward?: () => void;
}

/**
 * The one forward + backward of every attention run: uploads the buffers as float32, makes q, k, v
 * through `views`, takes the gradients of sum(out ∘ dOut) with respect to the buffers, maps them
 * back through `views`, downloads everything as float64, and disposes every tensor it made.
 */
export function forwardBackward(kernel: AttentionKernel, inputs: KernelInputs, dOutHost: HostTensor, opts: AttentionOptions, o: ForwardBackwardOptions = {}): AttentionResult {
  const buffers = inputs.buffers.map((b) => tf.tensor(Float32Array.from(b.data), [...b.shape], 'float32'));
  const dOut = upload(dOutHost);
  const mask = opts.mask === null ? null : (tf.tensor(opts.mask.data, [...opts.mask.shape], 'bool') as Tensor4D);
  const kopts: KernelOptions = { ...opts, mask };
  try {
    let out: HostTensor | null = null;
    let grads: HostTensor[] = [];
    tf.tidy(() => {
      const f = () => {
        const [q, k, v] = inputs.views(buffers);
        const o4 = kernel.forward(q, k, v, kopts, tf);
        out = download(o4);
        o.onBackward?.();
        // A wrongly shaped output cannot be multiplied by dOut; its shape is judged by the caller.
        const same = o4.rank === dOut.rank && o4.shape.every((d, n) => d === dOut.shape[n]);
        return same ? tf.sum(tf.mul(o4, dOut)) : tf.sum(o4);
      };
      const g = tf.engine().gradients(f, buffers, undefined, o.allowNoGradients ?? false).grads;
      grads = inputs.views(g.map((t, n) => t ?? tf.zerosLike(buffers[n]!))).map(download);
    });
    const [dq, dk, dv] = grads as [HostTensor, HostTensor, HostTensor];
    return { out: out!, dq, dk, dv };
  } finally {
    tf.dispose([...buffers, dOut]);
    if (mask) mask.dispose();
  }
}

const CONTRACT_LAYOUT = (t: readonly Tensor[]) => t.slice(0, 3) as [Tensor4D, Tensor4D, Tensor4D];

/** Forward and backward of an attention kernel on host inputs (already rounded to the precision). */
export function runAttentionKernel(kernel: AttentionKernel, inputs: AttentionInputs, opts: AttentionOptions): AttentionResult {
  return forwardBackward(kernel, { buffers: [inputs.q, inputs.k, inputs.v].map((t) => ({ shape: t.shape, data: t.data })), views: CONTRACT_LAYOUT }, inputs.dOut, opts);
}

/** Forward and backward of a LoRA kernel on host inputs; W0 is frozen (no gradient reported). */
export function runLoraKernel(kernel: LoraKernel, inputs: LoraInputs, spec: LoraSpec, o: Pick<ForwardBackwardOptions, 'onBackward'> = {}): LoraResult {
  const x = upload(inputs.x) as Tensor2D;
  const W0 = upload(inputs.W0) as Tensor2D;
  const A = upload(inputs.A) as Tensor2D;
  const B = upload(inputs.B) as Tensor2D;
  const dY = upload(inputs.dY);
  try {
    let yHost: HostTensor | null = null;
    const grads = tf.tidy(() =>
      tf.grads(((xx: Tensor, AA: Tensor, BB: Tensor) => {
        const y = kernel.forward(xx as Tensor2D, W0, AA as Tensor2D, BB as Tensor2D, spec, tf);
        yHost = download(y);
        o.onBackward?.();
        // A wrongly shaped output cannot be multiplied by dY; its shape is judged by the caller.
        const same = y.rank === dY.rank && y.shape.every((d, n) => d === dY.shape[n]);
        return same ? tf.sum(tf.mul(y, dY)) : tf.sum(y);
      }) as (...args: Tensor[]) => Tensor)([x, A, B]),
    );
    const [dx, dA, dB] = grads.map(download) as [HostTensor, HostTensor, HostTensor];
    tf.dispose(grads);
    return { y: yHost!, dx, dA, dB };
  } finally {
    tf.dispose([x, W0, A, B, dY]);
  }
}
