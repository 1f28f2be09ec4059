/**
 * The attention dispatch of the tiny decoder, modelled on transformers' ALL_ATTENTION_FUNCTIONS:
 * the model calls one `AttentionFunction` (src/contract/modelAttention.ts) per layer. A built-in
 * implementation brings its own transformers-style path (kernels/<name>/transformers.ts: eager
 * builds a 4D additive mask, sdpa sets is_causal when nothing is padded, flash unpads to varlen);
 * a user kernel behind the attention contract is dispatched the way the sdpa path is:
 *
 *   nothing padded or packed:  mask null + causal 'top-left'   (the case adapter-hub/adapters#721 broke)
 *   otherwise:                 a boolean mask [B, 1, S, S] with causal 'none'
 *
 * with the layer's attention dropout and the precision in the options, as the contract has them: the
 * dropout with its keep mask [B, Hq, S, S] (`opts.dropout.keep`, the pattern the float64 tape drops),
 * so a kernel that takes its dropout from the mask drops what the reference drops.
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import {
  type AttentionFunction,
  type AttentionKernel,
  allowedMask,
  dropoutKeepPattern,
  hasEmptyRow,
  type KernelOptions,
  type LoraKernel,
  onlyCausal,
  splitOutput,
} from '../../contract/index.js';

/** A built-in transformers-style attention path, by name. */
export interface NamedAttentionFunction {
  readonly name: string;
  readonly attention: AttentionFunction;
}

/** What the model's attention is: a built-in path or a kernel behind the contract. */
export type AttentionImplementation = NamedAttentionFunction | AttentionKernel;

/** The kernels a training run uses: its attention and its LoRA linear layers. */
export interface ModelKernels {
  readonly attention: AttentionImplementation;
  readonly lora: LoraKernel;
}

/**
 * A kernel declined one of the model's attention calls (its `supports` returned a reason): the
 * training run stops, and the case is reported unsupported, not failed.
 */
export class KernelDeclined extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'KernelDeclined';
  }
}

/** Asks `supports` about a call before it is made, with the sizes and options the kernel will get. */
function askSupports(kernel: AttentionKernel, opts: KernelOptions, q: Tensor4D, k: Tensor4D, v: Tensor4D): void {
  if (!kernel.supports) return;
  const [B, Hq, S, D] = q.shape;
  const shapes = { B, Hq, Hkv: k.shape[1], Sq: S, Sk: S, D, Dv: v.shape[3] };
  const mask = opts.mask === null ? null : { shape: opts.mask.shape, data: opts.mask.dataSync() };
  const { dropout, ...rest } = opts;
  const query = {
    ...rest,
    mask: mask === null ? null : { shape: mask.shape },
    dropout: dropout === null ? null : { p: dropout.p, seed: dropout.seed },
    emptyRows: hasEmptyRow({ ...rest, mask }, shapes),
  };
  const answer = kernel.supports(query, shapes);
  if (answer !== true) throw new KernelDeclined(String(answer));
}

/** A user kernel behind the contract, dispatched the way the sdpa path is; its `supports` is asked first. */
function userKernel(kernel: AttentionKernel): AttentionFunction {
  return (tf, q, k, v, call) => {
    const plain = onlyCausal(call.masks);
    const { B, S } = call.masks;
    const Hq = q.shape[1];
    const d = call.dropout;
    const opts: KernelOptions = {
      scale: call.scaling,
      causal: plain && call.isCausal ? 'top-left' : 'none',
      window: null,
      keyLengths: null,
      paddingSide: 'right',
      mask: plain ? null : (tf.tensor4d(allowedMask(call.masks), [B, 1, S, S], 'bool') as Tensor4D),
      dropout:
        d === null
          ? null
          : {
              p: d.p,
              seed: d.seed,
              keep: tf.tensor(dropoutKeepPattern(d, [B, Hq, S, S]), [B, Hq, S, S], 'bool') as Tensor4D,
            },
      precision: call.precision,
    };
    askSupports(kernel, opts, q, k, v);
    return tf.transpose(splitOutput(kernel.forward(q, k, v, opts, tf)).out, [0, 2, 1, 3]) as Tensor4D;
  };
}

export function attentionFunction(impl: AttentionImplementation): AttentionFunction {
  return 'forward' in impl ? userKernel(impl) : impl.attention;
}

export function implementationName(impl: AttentionImplementation): string {
  return impl.name;
}
