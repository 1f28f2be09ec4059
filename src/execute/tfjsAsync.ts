/**
 * The tfjs executor's paths that may await the kernel: a forward-only attention run (a kernel with
 * `backward: false`, or `--forward-only`) and a KV-cache decode. Their kernels may return a Promise
 * (a kernel that reads back from a GPU backend with `await t.data()`, or prepares weights
 * asynchronously); a run with gradients cannot await, since tfjs autodiff records a synchronous
 * forward (tfjs.ts `forwardBackward`).
 *
 * tf.tidy cannot span an await, so each run opens an engine scope and closes it in `finally`: every
 * tensor made in between (uploads, the kernel's intermediates and outputs) is disposed, after the
 * outputs were downloaded as float64. Cases run one at a time, so no other work shares the scope.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../backend/index.js';
import {
  type AttentionKernel,
  type AttentionOptions,
  type DecodeKernel,
  type DecodeOptions,
  describeValue,
  type HostTensor,
  type KvCache,
  type KvCacheOf,
  splitOutput,
} from '../contract/index.js';
import { type KernelInputs, type KernelRun, kernelOptions, scoreTensors } from './tfjs.js';

const upload = (t: HostTensor): Tensor => tf.tensor(Float32Array.from(t.data), [...t.shape], 'float32');

async function download(t: Tensor): Promise<HostTensor> {
  return { shape: [...t.shape], data: Float64Array.from((await t.data()) as Float32Array) };
}

const isTensor = (x: unknown): x is Tensor => typeof (x as Partial<Tensor> | null)?.dataSync === 'function';

/** f() inside an engine scope that disposes every tensor made during it, awaited or not. */
async function scoped<T>(f: () => Promise<T>): Promise<T> {
  const engine = tf.engine();
  engine.startScope();
  try {
    return await f();
  } finally {
    engine.endScope();
  }
}

/**
 * The forward pass only of an attention kernel whose `forward` (or `forwardWithKeep`) may return a
 * Promise: out, the lse it returned, and the keep mask of a kernel that draws its own dropout.
 */
export function forwardOnlyAsync(
  kernel: AttentionKernel,
  inputs: KernelInputs,
  opts: AttentionOptions,
): Promise<KernelRun> {
  return scoped(async () => {
    const buffers = inputs.buffers.map((b) => tf.tensor(Float32Array.from(b.data), [...b.shape], 'float32'));
    const [q, k, v] = inputs.views(buffers);
    const kopts = kernelOptions(
      opts,
      { B: q.shape[0], Hq: q.shape[1], Sq: q.shape[2], Sk: k.shape[2] },
      scoreTensors(opts),
    );
    if (kernel.forwardWithKeep !== undefined && opts.dropout !== null && opts.dropout.p > 0) {
      const r = await kernel.forwardWithKeep(q, k, v, kopts, tf);
      return { out: await download(r.out), lse: null, grads: null, keep: await download(r.keep) };
    }
    const r = splitOutput(await kernel.forward(q, k, v, kopts, tf));
    if (!isTensor(r.out)) throw new Error(`${kernel.name}.forward returned ${describeValue(r.out)} as out`);
    return { out: await download(r.out), lse: r.lse === null ? null : await download(r.lse), grads: null, keep: null };
  });
}

/** out [B, Hq, Sq, Dv] of a decode kernel on q [B, Hq, Sq, D] and the cache (src/contract/decode.ts). */
export function runDecodeKernel(
  kernel: DecodeKernel,
  q: HostTensor,
  cache: KvCache,
  cacheSeqlens: readonly number[],
  opts: DecodeOptions,
): Promise<HostTensor> {
  return scoped(async () => {
    const c: KvCacheOf<Tensor> =
      cache.kind === 'contiguous'
        ? { kind: 'contiguous', k: upload(cache.k), v: upload(cache.v) }
        : { kind: 'paged', kPages: upload(cache.kPages), vPages: upload(cache.vPages), blockTable: cache.blockTable };
    const out: unknown = await kernel.decode(upload(q) as Tensor4D, c, cacheSeqlens, opts, tf);
    // A kernel's own fault, named: it returned no tensor (undefined, an array, { out }).
    if (!isTensor(out))
      throw new Error(
        `${kernel.name}.decode returned ${describeValue(out)}, expected a tfjs Tensor out [B, Hq, Sq, Dv]`,
      );
    return download(out);
  });
}
