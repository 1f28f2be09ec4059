/**
 * Runs a tfjs kernel on host inputs: uploads them as float32, takes the forward output and the
 * gradients of sum(out ∘ dOut) by autodiff, downloads everything as float64, and disposes every
 * tensor it made (a kernel that leaks is caught by comparing tf.memory() around this call).
 *
 * What a kernel receives besides q, k, v (`KernelOptions`): the boolean mask and, under dropout,
 * the keep mask [B, Hq, Sq, Sk] (the hash's pattern, or the one replayed from a kernel that draws
 * its own). A kernel with `forwardWithKeep` is called through it when the case has dropout, and the
 * mask it returns is handed back; a forward-only run (`backward: false`) takes no gradient.
 * The float score options go up as float32 tensors: ALiBi slopes as constants, bias and sinks as
 * sources of the gradient like q, k, v (dbias, dsinks come back with dq, dk, dv); an lse the kernel
 * returns (`{ out, lse }`) comes back with out.
 * A KV-cache decode kernel (forward only) gets q and the cache the same way (NaN in the slots it
 * must not read stays NaN), the block table and cacheSeqlens as they are.
 */
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../backend/index.js';
import {
  type AttentionInputs,
  type AttentionKernel,
  type AttentionOptions,
  type AttentionResult,
  dropoutKeepPattern,
  type HostTensor,
  type KernelOptions,
  type LoraInputs,
  type LoraKernel,
  type LoraResult,
  type LoraSpec,
  splitOutput,
} from '../contract/index.js';

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
  /** false: the forward only (a kernel without a backward); default true. */
  readonly backward?: boolean;
}

/** What one run gave. */
export interface KernelRun {
  readonly out: HostTensor;
  /** The log-sum-exp [B, Hq, Sq] the kernel returned with out, else null. */
  readonly lse: HostTensor | null;
  /** dq, dk, dv in the contract layout, and dbias, dsinks when the options have them; null for a forward-only run. */
  readonly grads: {
    readonly dq: HostTensor;
    readonly dk: HostTensor;
    readonly dv: HostTensor;
    readonly dbias?: HostTensor;
    readonly dsinks?: HostTensor;
  } | null;
  /** The keep mask a kernel that draws its own dropout returned (`forwardWithKeep`), else null. */
  readonly keep: HostTensor | null;
}

/**
 * The options a kernel receives, as tensors: the mask, and the keep mask [B, Hq, Sq, Sk] when the
 * case has dropout. Call inside tf.tidy (or dispose the tensors yourself).
 */
export function kernelOptions(
  opts: AttentionOptions,
  shape: { readonly B: number; readonly Hq: number; readonly Sq: number; readonly Sk: number },
  floats: ScoreTensors = scoreTensors(opts),
): KernelOptions {
  const { B, Hq, Sq, Sk } = shape;
  const mask = opts.mask === null ? null : (tf.tensor(opts.mask.data, [...opts.mask.shape], 'bool') as Tensor4D);
  const { alibiSlopes: _a, bias: _b, sinks: _s, ...rest } = opts;
  const scores = {
    ...(opts.softcap != null ? { softcap: opts.softcap } : {}),
    ...(floats.alibiSlopes ? { alibiSlopes: floats.alibiSlopes } : {}),
    ...(floats.bias ? { bias: floats.bias } : {}),
    ...(floats.sinks ? { sinks: floats.sinks } : {}),
  };
  const d = opts.dropout;
  if (d === null) return { ...rest, ...scores, mask, dropout: null };
  const pattern = d.p > 0 ? dropoutKeepPattern(d, [B, Hq, Sq, Sk]) : new Uint8Array(B * Hq * Sq * Sk).fill(1);
  return {
    ...rest,
    ...scores,
    mask,
    dropout: { p: d.p, seed: d.seed, keep: tf.tensor(pattern, [B, Hq, Sq, Sk], 'bool') as Tensor4D },
  };
}

/** The float score options as float32 tensors (absent when the options have none). */
export interface ScoreTensors {
  readonly alibiSlopes?: Tensor;
  readonly bias?: Tensor;
  readonly sinks?: Tensor;
}

/** Uploads the options' ALiBi slopes, bias and sinks. */
export function scoreTensors(opts: AttentionOptions): ScoreTensors {
  return {
    ...(opts.alibiSlopes != null ? { alibiSlopes: upload(opts.alibiSlopes) } : {}),
    ...(opts.bias != null ? { bias: upload(opts.bias) } : {}),
    ...(opts.sinks != null ? { sinks: upload(opts.sinks) } : {}),
  };
}

/**
 * The one forward + backward of every attention run: uploads the buffers as float32, makes q, k, v
 * through `views`, takes the gradients of sum(out ∘ dOut) with respect to the buffers, maps them
 * back through `views`, downloads everything as float64, and disposes every tensor it made.
 */
export function forwardBackward(
  kernel: AttentionKernel,
  inputs: KernelInputs,
  dOutHost: HostTensor,
  opts: AttentionOptions,
  o: ForwardBackwardOptions = {},
): KernelRun {
  const buffers = inputs.buffers.map((b) => tf.tensor(Float32Array.from(b.data), [...b.shape], 'float32'));
  const dOut = upload(dOutHost);
  const floats = scoreTensors(opts);
  // bias and sinks are differentiated like the buffers, after them.
  const extras = [floats.bias, floats.sinks].filter((t): t is Tensor => t !== undefined);
  const ownDropout = kernel.forwardWithKeep !== undefined && opts.dropout !== null && opts.dropout.p > 0;
  try {
    let out: HostTensor | null = null;
    let lse: HostTensor | null = null;
    let keep: HostTensor | null = null;
    let grads: HostTensor[] | null = null;
    tf.tidy(() => {
      const f = () => {
        const [q, k, v] = inputs.views(buffers);
        const kopts = kernelOptions(opts, { B: q.shape[0], Hq: q.shape[1], Sq: q.shape[2], Sk: k.shape[2] }, floats);
        let o4: Tensor;
        if (ownDropout) {
          const r = kernel.forwardWithKeep!(q, k, v, kopts, tf);
          if (isThenable(r)) throw new Error(asyncWithBackward(kernel.name));
          keep = download(r.keep);
          o4 = r.out;
        } else {
          const returned = kernel.forward(q, k, v, kopts, tf);
          if (isThenable(returned)) throw new Error(asyncWithBackward(kernel.name));
          const r = splitOutput(returned);
          o4 = r.out;
          if (r.lse !== null) lse = download(r.lse);
        }
        out = download(o4);
        o.onBackward?.();
        // A wrongly shaped output cannot be multiplied by dOut; its shape is judged by the caller.
        const same = o4.rank === dOut.rank && o4.shape.every((d, n) => d === dOut.shape[n]);
        return same ? tf.sum(tf.mul(o4, dOut)) : tf.sum(o4);
      };
      if (o.backward === false) {
        f();
        return;
      }
      const sources = [...buffers, ...extras];
      const g = tf
        .engine()
        .gradients(f, sources, undefined, o.allowNoGradients ?? false)
        .grads.map((t, n) => t ?? tf.zerosLike(sources[n]!));
      grads = [...inputs.views(g.slice(0, buffers.length)), ...g.slice(buffers.length)].map(download);
    });
    const [dq, dk, dv, ...rest] = (grads ?? []) as HostTensor[];
    const scoreGrads = {
      ...(floats.bias ? { dbias: rest.shift()! } : {}),
      ...(floats.sinks ? { dsinks: rest.shift()! } : {}),
    };
    return { out: out!, lse, grads: grads === null ? null : { dq: dq!, dk: dk!, dv: dv!, ...scoreGrads }, keep };
  } finally {
    tf.dispose([...buffers, dOut, ...Object.values(floats)]);
  }
}

/** True for a Promise (or any thenable) a kernel returned instead of a tensor. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof (x as { then?: unknown } | null)?.then === 'function';
}

/** Why an async forward cannot be differentiated, and what to do instead. */
export const asyncWithBackward = (name: string) =>
  `${name}.forward returned a Promise: tfjs autodiff needs a synchronous forward; declare backward: false ` +
  '(checked forward only), or make it a host kernel (defineHostKernel) that returns its gradients';

const CONTRACT_LAYOUT = (t: readonly Tensor[]) => t.slice(0, 3) as [Tensor4D, Tensor4D, Tensor4D];

/** Forward and backward of an attention kernel on host inputs (already rounded to the precision). */
export function runAttentionKernel(
  kernel: AttentionKernel,
  inputs: AttentionInputs,
  opts: AttentionOptions,
): AttentionResult {
  const r = forwardBackward(
    kernel,
    { buffers: [inputs.q, inputs.k, inputs.v].map((t) => ({ shape: t.shape, data: t.data })), views: CONTRACT_LAYOUT },
    inputs.dOut,
    opts,
  );
  return { out: r.out, ...(r.lse !== null ? { lse: r.lse } : {}), ...r.grads! };
}

/** Forward and backward of a LoRA kernel on host inputs; W0 is frozen (no gradient reported). */
export function runLoraKernel(
  kernel: LoraKernel,
  inputs: LoraInputs,
  spec: LoraSpec,
  o: Pick<ForwardBackwardOptions, 'onBackward'> = {},
): LoraResult {
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
