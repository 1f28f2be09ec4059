/**
 * The kernel contract: what an implementation under test provides. Built-in kernels and user
 * modules alike are plain objects of these shapes; `defineAttentionKernel` / `defineLoraKernel`
 * only add types.
 *
 *   export default defineAttentionKernel({
 *     name: 'mine',
 *     forward(q, k, v, opts, tf) { ... return out; },     // contract layout, see types.ts
 *     supports(opts, shapes) { return opts.dropout ? 'no dropout' : true; },
 *   });
 *
 * Gradients come from tfjs autodiff through `forward` (a kernel with its own backward wraps it in
 * tf.customGrad). `tf` is the harness's own tfjs namespace: tensors from a second copy of
 * tfjs-core would not mix with the harness's.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import type { AttentionOptionsOf, AttentionShapes } from './types.js';
import type { LoraSpec } from './lora.js';

/** The tfjs namespace a kernel receives (tfjs-core's API, with every gradient registered). */
export type TF = typeof tfc;

/** Options as a kernel receives them: the mask is a boolean tensor [B|1, Hq|1, Sq, Sk]. */
export type KernelOptions = AttentionOptionsOf<Tensor4D>;

/** Options as `supports` sees them: only the mask's shape, no tensors. */
export type SupportQuery = AttentionOptionsOf<{ readonly shape: readonly number[] }>;

export interface AttentionKernel {
  readonly name: string;
  /** q [B,Hq,Sq,D], k [B,Hkv,Sk,D], v [B,Hkv,Sk,Dv] -> out [B,Hq,Sq,Dv]. */
  forward(q: Tensor4D, k: Tensor4D, v: Tensor4D, opts: KernelOptions, tf: TF): Tensor;
  /** true, or the reason the kernel declines these options and shapes (the case is then skipped). */
  supports?(opts: SupportQuery, shapes: AttentionShapes): true | string;
}

export function defineAttentionKernel<K extends AttentionKernel>(kernel: K): K {
  return kernel;
}

/** A LoRA linear implementation: x [N,in], W0 [out,in], A [r,in], B [out,r] -> y [N,out] (see lora.ts). */
export interface LoraKernel {
  readonly name: string;
  /** 'lora' marks a module's default export as a LoRA kernel (`defineLoraKernel` sets it). */
  readonly kind?: 'lora';
  forward(x: Tensor2D, W0: Tensor2D, A: Tensor2D, B: Tensor2D, spec: LoraSpec, tf: TF): Tensor;
  /** true, or the reason the kernel declines this spec (the case is then skipped). */
  supports?(spec: LoraSpec): true | string;
}

/** Types a LoRA kernel and marks it `kind: 'lora'`, so tools that take either kind (golden) know it. */
export function defineLoraKernel<K extends Omit<LoraKernel, 'kind'>>(kernel: K): K & { readonly kind: 'lora' } {
  return { ...kernel, kind: 'lora' };
}
