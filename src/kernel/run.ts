/**
 * Runs a tfjs kernel on host inputs: uploads them as float32, takes the forward output and the
 * gradients of sum(out ∘ dOut) by autodiff, downloads everything as float64, and disposes every
 * tensor it made (a kernel that leaks is caught by comparing tf.memory() around this call).
 */
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../backend/index.js';
import type { AttentionInputs, AttentionOptions, AttentionResult, HostTensor, LoraInputs, LoraResult, LoraSpec } from '../contract/index.js';
import type { AttentionKernel, KernelOptions, LoraKernel } from './types.js';

function upload(t: HostTensor): Tensor {
  return tf.tensor(Float32Array.from(t.data), [...t.shape], 'float32');
}

function download(t: Tensor): HostTensor {
  return { shape: [...t.shape], data: Float64Array.from(t.dataSync() as Float32Array) };
}

/** Forward and backward of an attention kernel on host inputs (already rounded to the precision). */
export function runAttentionKernel(kernel: AttentionKernel, inputs: AttentionInputs, opts: AttentionOptions): AttentionResult {
  const q = upload(inputs.q) as Tensor4D;
  const k = upload(inputs.k) as Tensor4D;
  const v = upload(inputs.v) as Tensor4D;
  const dOut = upload(inputs.dOut);
  const mask = opts.mask === null ? null : (tf.tensor(opts.mask.data, [...opts.mask.shape], 'bool') as Tensor4D);
  const kopts: KernelOptions = { ...opts, mask };
  try {
    let outHost: HostTensor | null = null;
    const grads = tf.tidy(() => {
      const f = (qq: Tensor, kk: Tensor, vv: Tensor) => {
        const out = kernel.forward(qq as Tensor4D, kk as Tensor4D, vv as Tensor4D, kopts, tf);
        outHost = download(out);
        if (!out.shape.every((d, n) => d === dOut.shape[n]) || out.rank !== dOut.rank) return tf.sum(out); // shape is checked by the caller
        return tf.sum(tf.mul(out, dOut));
      };
      return tf.grads(f as (...args: Tensor[]) => Tensor)([q, k, v]);
    });
    const [dq, dk, dv] = grads.map(download) as [HostTensor, HostTensor, HostTensor];
    tf.dispose(grads);
    return { out: outHost!, dq, dk, dv };
  } finally {
    tf.dispose([q, k, v, dOut]);
    if (mask) mask.dispose();
  }
}

/** Forward and backward of a LoRA kernel on host inputs; W0 is frozen (no gradient reported). */
export function runLoraKernel(kernel: LoraKernel, inputs: LoraInputs, spec: LoraSpec): LoraResult {
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
        return tf.sum(tf.mul(y, dY));
      }) as (...args: Tensor[]) => Tensor)([x, A, B]),
    );
    const [dx, dA, dB] = grads.map(download) as [HostTensor, HostTensor, HostTensor];
    tf.dispose(grads);
    return { y: yHost!, dx, dA, dB };
  } finally {
    tf.dispose([x, W0, A, B, dY]);
  }
}
