/**
 * Running kernels in the properties: which kernel (a built-in by name, with the case's flash tiles,
 * or any kernel object), on which material (a case's tensors with some inputs or options replaced),
 * forward and backward through the runner's one path (src/runner `runAttention`, in any layout).
 *
 *   const k = kernelFor('flash', c);
 *   const m = materialise(c);
 *   const r = run(k, withMaterial(m, { inputs: { dOut } }));      // out, dq, dk, dv as float64
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../../src/backend/index.js';
import { type AttentionCase, DEFAULT_VIEW, type Layout, type StridedView } from '../../src/case/index.js';
import type { AttentionKernel, AttentionResult, HostTensor } from '../../src/contract/index.js';
import { materialiseAttention } from '../../src/data/index.js';
import {
  type BuiltinKernelName,
  builtinKernel,
  builtinsFor,
  fixedKernel,
  type KernelUnderTest,
  type Material,
  runTfjsAttention,
} from '../../src/runner/index.js';

export type BuiltinName = 'eager' | 'sdpa' | 'flash';
/** The built-in attention kernels, from the registry, in its order. */
export const BUILTINS = builtinsFor('attention') as readonly BuiltinName[];

/** A kernel as the properties take it: a built-in attention kernel by name, or a kernel object. */
export type KernelArg = BuiltinName | AttentionKernel;

/**
 * The kernel under test of the core's check: a built-in by name, an attention kernel object, or as is
 * (`fixedKernel(k, 'lora')`).
 */
export function underTest(k: BuiltinKernelName | AttentionKernel | KernelUnderTest): KernelUnderTest {
  if (typeof k === 'string') return builtinKernel(k);
  return 'ref' in k ? k : fixedKernel(k);
}

/** The contract kernel to run on case `c` (flash with the case's block sizes). */
export function kernelFor(k: KernelArg, c: AttentionCase): AttentionKernel {
  return underTest(k).attention!(c) as AttentionKernel;
}

export const nameOf = (k: KernelArg): string => (typeof k === 'string' ? k : k.name);

export { materialiseAttention as materialise };

/** The same material with some shapes, inputs or options replaced. */
export function withMaterial(
  m: Material,
  patch: {
    shapes?: Partial<Material['shapes']>;
    inputs?: Partial<Material['inputs']>;
    options?: Partial<Material['options']>;
  },
): Material {
  return {
    shapes: { ...m.shapes, ...patch.shapes },
    options: { ...m.options, ...patch.options },
    inputs: { ...m.inputs, ...patch.inputs },
  };
}

/** Forward and backward of `kernel` on `m` (q, k, v made in `layout`); throws, failing the relation, unless it ran. */
export function run(
  kernel: AttentionKernel,
  m: Material,
  layout: Layout = 'BHSD',
  view: StridedView = DEFAULT_VIEW,
): AttentionResult {
  const o = runTfjsAttention(kernel, m, layout, view);
  if (o.status === 'ok') return o.result;
  const why =
    o.status === 'threw'
      ? `threw in ${o.phase}: ${o.message}`
      : o.status === 'unsupported'
        ? `declined the case: ${o.reason}`
        : 'ran forward only (it has no backward)';
  throw new Error(`${kernel.name} ${why}`);
}

/**
 * Forward of `f` on host inputs and the gradients of sum(out ∘ dOut) with respect to each input,
 * by tfjs autodiff (for native interfaces outside the contract); every tensor made here is disposed.
 */
export function withGrads(
  f: (...xs: Tensor[]) => Tensor,
  inputs: readonly HostTensor[],
  dOut: HostTensor,
): { out: HostTensor; grads: HostTensor[] } {
  const down = (t: Tensor): HostTensor => ({
    shape: [...t.shape],
    data: Float64Array.from(t.dataSync() as Float32Array),
  });
  const xs = inputs.map((t) => tf.tensor(Float32Array.from(t.data), [...t.shape], 'float32'));
  const dy = tf.tensor(Float32Array.from(dOut.data), [...dOut.shape], 'float32');
  try {
    let out: HostTensor | null = null;
    let grads: HostTensor[] = [];
    tf.tidy(() => {
      const gs = tf.grads((...as: Tensor[]) => {
        const y = f(...as);
        out = down(y);
        return tf.sum(tf.mul(y, dy));
      })(xs);
      grads = gs.map(down);
    });
    return { out: out!, grads };
  } finally {
    tf.dispose([...xs, dy]);
  }
}

/** Live tfjs tensors now (leak checks compare it around a call). */
export const liveTensors = (): number => tf.memory().numTensors;
