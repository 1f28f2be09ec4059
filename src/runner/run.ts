/**
 * Runs one kernel on one materialised case: forward, then the gradients of sum(out ∘ dOut) by tfjs
 * autodiff with respect to the uploaded buffers of the case's layout, on the active backend.
 * Everything is downloaded as float64 and every tensor made here is disposed.
 *
 * The outcome says whether the kernel ran, threw (and in which phase), or declined the case.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../backend/index.js';
import type { AttentionInputs, AttentionOptions, AttentionResult, AttentionShapes, HostTensor } from '../contract/index.js';
import { DEFAULT_VIEW, type Layout, type StridedView } from '../case/index.js';
import type { AttentionKernel, KernelOptions } from '../kernel/index.js';
import { layOut } from './layout.js';

export type KernelOutcome =
  | { readonly status: 'ok'; readonly result: AttentionResult }
  | { readonly status: 'threw'; readonly phase: 'forward' | 'backward'; readonly message: string }
  | { readonly status: 'unsupported'; readonly reason: string };

/** What a run needs: the case's tensors, options and shapes (see src/data `materializeAttention`). */
export interface Material {
  readonly shapes: AttentionShapes;
  readonly options: AttentionOptions;
  readonly inputs: AttentionInputs;
}

function download(t: Tensor): HostTensor {
  return { shape: [...t.shape], data: Float64Array.from(t.dataSync() as Float32Array) };
}

const messageOf = (e: unknown) => (e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e));

/** Asks `supports`, if the kernel has one; a throwing `supports` counts as a forward throw. */
export function supportsCase(kernel: AttentionKernel, m: Material): KernelOutcome | null {
  if (!kernel.supports) return null;
  try {
    const { mask, ...rest } = m.options;
    const answer = kernel.supports({ ...rest, mask: mask === null ? null : { shape: mask.shape } }, m.shapes);
    return answer === true ? null : { status: 'unsupported', reason: String(answer) };
  } catch (e) {
    return { status: 'threw', phase: 'forward', message: `supports: ${messageOf(e)}` };
  }
}

/** Forward and backward of `kernel` on `m`, with q/k/v made in `layout`. */
export function runKernel(kernel: AttentionKernel, m: Material, layout: Layout = 'BHSD', view: StridedView = DEFAULT_VIEW): KernelOutcome {
  const declined = supportsCase(kernel, m);
  if (declined) return declined;
  const laid = layOut(m.inputs, m.shapes, layout, view);
  const buffers = laid.buffers.map((b) => tf.tensor(b.data, [...b.shape], 'float32'));
  const dOut = tf.tensor(Float32Array.from(m.inputs.dOut.data), [...m.inputs.dOut.shape], 'float32');
  const mask = m.options.mask === null ? null : (tf.tensor(m.options.mask.data, [...m.options.mask.shape], 'bool') as Tensor4D);
  const kopts: KernelOptions = { ...m.options, mask };
  let phase: 'forward' | 'backward' = 'forward';
  try {
    let out: HostTensor | null = null;
    let result: [HostTensor, HostTensor, HostTensor] | null = null;
    tf.tidy(() => {
      const f = () => {
        const [q, k, v] = laid.views(buffers);
        const o = kernel.forward(q, k, v, kopts, tf);
        out = download(o);
        phase = 'backward';
        // A wrongly shaped output cannot be multiplied by dOut; its shape is judged by the oracle.
        const same = o.rank === dOut.rank && o.shape.every((d, n) => d === dOut.shape[n]);
        return same ? tf.sum(tf.mul(o, dOut)) : tf.sum(o);
      };
      // allowNoGradients: an output that does not depend on an input has a zero gradient there
      // (tf.grads would throw instead, hiding e.g. a kernel that drops every key block).
      const { grads } = tf.engine().gradients(f, buffers, undefined, true);
      const full = grads.map((g, n) => g ?? tf.zerosLike(buffers[n]!));
      const [dq, dk, dv] = laid.views(full);
      result = [dq, dk, dv].map(download) as [HostTensor, HostTensor, HostTensor];
    });
    const [dq, dk, dv] = result!;
    return { status: 'ok', result: { out: out!, dq, dk, dv } };
  } catch (e) {
    return { status: 'threw', phase, message: messageOf(e) };
  } finally {
    tf.dispose([...buffers, dOut]);
    if (mask) mask.dispose();
  }
}
