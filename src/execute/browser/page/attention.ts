/**
 * One attention call in the page, the twin of src/execute/tfjs.ts `forwardBackward` for a GPU
 * backend: the same options as tensors, the same gradients of sum(out ∘ dOut) by tfjs autodiff
 * with respect to q, k, v (and bias, sinks), but every tensor is read with the asynchronous
 * `data()`. tfjs-backend-webgpu 4.22's `dataSync` reads a GPU buffer by drawing it onto canvases
 * (backend_webgpu.ts `readSync`), a path of its own that attnfuzz should not judge the kernel by.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import {
  type AttentionKernel,
  type AttentionOutput,
  type KeptOutput,
  type KernelOptions,
  splitOutput,
} from '../../../contract/index.js';
import type { AttentionCallMeta, PageAnswer } from '../protocol.js';
import type { WireArray, WireTensor } from '../wire.js';
import { tf } from './setup.js';
import { thrown } from './thrown.js';

/** The call's options as the kernel receives them (tensors made here, disposed by the caller's tidy scope). */
function kernelOptions(meta: AttentionCallMeta, t: ReadonlyMap<string, WireTensor>, floats: Floats): KernelOptions {
  type Shape4 = [number, number, number, number];
  const bool = (x: WireTensor): Tensor4D => tf.tensor4d(x.data as Uint8Array, x.shape as Shape4, 'bool');
  const mask = t.get('mask');
  const keep = t.get('keep');
  const [q, k] = [t.get('q')!, t.get('k')!];
  const full: Shape4 = [q.shape[0]!, q.shape[1]!, q.shape[2]!, k.shape[2]!];
  const { kind: _k, backward: _b, blocks: _t, dropout, softcap, ...rest } = meta;
  if (dropout !== null && dropout.p > 0 && !keep) throw new Error('attnfuzz page: dropout p > 0 without its keep mask');
  return {
    ...rest,
    mask: mask ? bool(mask) : null,
    // p = 0 comes without a keep mask: everything is kept.
    dropout: dropout === null ? null : { ...dropout, keep: keep ? bool(keep) : (tf.ones(full, 'bool') as Tensor4D) },
    ...(softcap !== null ? { softcap } : {}),
    ...(floats.alibiSlopes ? { alibiSlopes: floats.alibiSlopes } : {}),
    ...(floats.bias ? { bias: floats.bias } : {}),
    ...(floats.sinks ? { sinks: floats.sinks } : {}),
  };
}

interface Floats {
  readonly alibiSlopes?: Tensor;
  readonly bias?: Tensor;
  readonly sinks?: Tensor;
}

/** The kernel's tensors of one call, read back; or how it failed. */
export type AttentionRun =
  | { readonly status: 'ok'; readonly tensors: Array<readonly [string, WireTensor]> }
  | Extract<PageAnswer, { status: 'threw' }>;

async function read(named: ReadonlyArray<readonly [string, Tensor]>): Promise<Array<readonly [string, WireTensor]>> {
  const data = await Promise.all(named.map(([, x]) => x.data()));
  return named.map(([name, x], n) => [name, { shape: x.shape, data: data[n] as WireArray }] as const);
}

interface Outputs {
  readonly out: Tensor;
  readonly lse: Tensor | null;
  readonly keep: Tensor | null;
}

/** out, lse and the kernel's own keep mask from what forward / forwardWithKeep returned. */
function outputsOf(r: Tensor | AttentionOutput | KeptOutput, ownDropout: boolean): Outputs {
  if (ownDropout) {
    if (typeof (r as { then?: unknown }).then === 'function')
      throw new Error('forwardWithKeep returned a Promise where a synchronous result is needed (tfjs autodiff)');
    const k = r as KeptOutput;
    return { out: k.out, lse: null, keep: k.keep };
  }
  return { ...splitOutput(r as Tensor | AttentionOutput), keep: null };
}

/**
 * Forward, then (when the call has dOut) the gradients; the kernel's own dropout mask comes back
 * as 'keep' when it draws one (`forwardWithKeep`). A forward-only call awaits a forward that
 * returns a Promise (as src/execute/tfjsAsync.ts does); with gradients it must be synchronous
 * (tfjs autodiff records a synchronous forward). Every tensor made here is disposed.
 */
export async function runAttentionCall(
  kernel: AttentionKernel,
  meta: AttentionCallMeta,
  t: ReadonlyMap<string, WireTensor>,
): Promise<AttentionRun> {
  const up = (name: string) => tf.tensor(t.get(name)!.data as Float32Array, [...t.get(name)!.shape], 'float32');
  const sources = ['q', 'k', 'v'].map(up);
  const floats: Floats = Object.fromEntries(
    (['alibiSlopes', 'bias', 'sinks'] as const).filter((n) => t.has(n)).map((n) => [n, up(n)]),
  );
  const grads = [floats.bias, floats.sinks].filter((x): x is Tensor => x !== undefined);
  const dOut = meta.backward ? up('dOut') : null;
  const ownDropout = kernel.forwardWithKeep !== undefined && meta.dropout !== null && meta.dropout.p > 0;
  const kept: Array<readonly [string, Tensor]> = [];
  const forward = () => {
    const [q, k, v] = sources as [Tensor4D, Tensor4D, Tensor4D];
    const opts = kernelOptions(meta, t, floats);
    return ownDropout ? kernel.forwardWithKeep!(q, k, v, opts, tf) : kernel.forward(q, k, v, opts, tf);
  };
  const keepOutputs = (o: Outputs) => {
    kept.push(['out', tf.keep(o.out)]);
    if (o.lse !== null) kept.push(['lse', tf.keep(o.lse)]);
    if (o.keep !== null) kept.push(['keep', tf.keep(o.keep)]);
  };
  let phase: 'forward' | 'backward' = 'forward';
  try {
    if (dOut === null) {
      // tf.tidy cannot span an await: an engine scope disposes what the forward made.
      tf.engine().startScope();
      try {
        keepOutputs(outputsOf(await forward(), ownDropout));
      } finally {
        tf.engine().endScope();
      }
    } else {
      const f = () => {
        const o = outputsOf(forward() as Tensor | AttentionOutput | KeptOutput, ownDropout);
        keepOutputs(o);
        phase = 'backward';
        // A wrongly shaped output cannot be multiplied by dOut; its shape is judged by attnfuzz.
        const same = o.out.rank === dOut.rank && o.out.shape.every((d, n) => d === dOut.shape[n]);
        return same ? tf.sum(tf.mul(o.out, dOut)) : tf.sum(o.out);
      };
      const all = [...sources, ...grads];
      const g = tf.tidy(() =>
        tf
          .engine()
          .gradients(f, all, undefined, true)
          .grads.map((x, n) => x ?? tf.zerosLike(all[n]!)),
      );
      const names = ['dq', 'dk', 'dv', ...(floats.bias ? ['dbias'] : []), ...(floats.sinks ? ['dsinks'] : [])];
      for (const [n, x] of g.entries()) kept.push([names[n]!, x]);
    }
    return { status: 'ok', tensors: await read(kept) };
  } catch (e) {
    return { status: 'threw', phase, ...thrown(e) };
  } finally {
    tf.dispose([...sources, ...Object.values(floats), ...(dOut ? [dOut] : []), ...kept.map(([, x]) => x)]);
  }
}
