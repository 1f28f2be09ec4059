/**
 * The kernel contract: what an implementation under test provides. Built-in kernels and user
 * modules alike are plain objects of these shapes; `defineAttentionKernel` / `defineLoraKernel`
 * only add types.
 *
 *   export default defineAttentionKernel({
 *     name: 'mine',
 *     forward(q, k, v, opts, tf) { ... return out; },     // contract layout, see types.ts
 *     supports(opts, shapes) { return opts.emptyRows ? 'no query may see nothing' : true; },
 *     tiles: { Br: 64, Bc: 64 },                          // lengths are aimed at k·Br ± 1, k·Bc ± 1
 *     guarantees: { unseenKeysUnread: true },             // NaN may then be written at unseen keys
 *     backward: false,                                    // an inference kernel: forward only
 *     features: { softcap: true, sinks: true },           // score options it implements (drawn for it)
 *   });
 *
 * `forward` returns out, or `{ out, lse }`: lse [B, Hq, Sq] (base e, -inf for a row with no
 * visible key, the sink included) is then judged too, except at rows with no visible key, where
 * implementations differ and neither is wrong: FlashAttention-2 writes +inf there without split-KV
 * and -inf with it (csrc/flash_attn/src/softmax.h). The score options (softcap, alibiSlopes,
 * bias, sinks) reach a kernel only when it declares them in `features`; bias and sinks arrive as
 * float tensors whose gradients (dbias, dsinks) are judged like dq, dk, dv.
 *
 * Gradients come from tfjs autodiff through `forward` (a kernel with its own backward wraps it in
 * tf.customGrad). `tf` is the harness's own tfjs namespace: tensors from a second copy of
 * tfjs-core would not mix with the harness's.
 *
 * `forward`, `forwardWithKeep` and a decode kernel's `decode` may return a Promise, awaited by the
 * harness wherever no gradient is taken: a forward-only kernel (`backward: false`) and decode.
 * tfjs autodiff records a synchronous forward, so a kernel with a backward returns its tensors
 * synchronously; code that must await (a GPU read-back, another process, ONNX Runtime) is a host
 * kernel (hostKernel.ts), which returns its own gradients. The same holds for a LoRA kernel: its
 * forward is differentiated, so it is synchronous, and an async LoRA layer is a host kernel's `lora`.
 *
 * Dropout, two routes. (1) `opts.dropout.keep` is the keep mask [B, Hq, Sq, Sk] as a boolean tensor
 * (the counter hash's pattern, `dropoutKeep`): multiply P by keep / (1 - p) and the kernel drops what
 * the reference drops, without importing attnfuzz. (2) A kernel that draws its own dropout (Philox,
 * curand: every real one) implements `forwardWithKeep`, returning the mask it drew with the output
 * (as flash-attn's return_attn_probs does); the harness calls it for cases with dropout, the
 * reference replays the returned mask, and the keep rate is tested (binomial, alpha 1e-6).
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import type { LoraSpec } from './lora.js';
import type { AttentionOptionsOf, AttentionShapes } from './types.js';

/** The tfjs namespace a kernel receives (tfjs-core's API, with every gradient registered). */
export type TF = typeof tfc;

/**
 * Options as a kernel receives them: the mask is a boolean tensor [B|1, Hq|1, Sq, Sk], and dropout
 * carries its keep mask, a boolean tensor [B, Hq, Sq, Sk] (true = kept), wherever the harness runs
 * the kernel on a case (`src/execute`); a caller outside the harness may leave it out (then the
 * hash `dropoutKeep(seed, b, h, i, j, p)` is the pattern).
 */
export type KernelOptions = AttentionOptionsOf<Tensor4D, Tensor>;

/** What `forward` may return besides a bare output tensor: the output with its log-sum-exp [B, Hq, Sq]. */
export type AttentionOutput = {
  readonly out: Tensor;
  readonly lse?: Tensor;
};

/**
 * What a value is, for an error about a kernel (its module's export, what it returned): 'an array',
 * 'an object with keys [out]'.
 */
export function describeValue(v: unknown): string {
  return v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'object'
        ? `an object with keys [${Object.keys(v as object).join(', ')}]`
        : typeof v;
}

/** The output and, when the kernel returned one, the lse of a `forward` result. */
export function splitOutput(r: Tensor | AttentionOutput | Promise<Tensor | AttentionOutput>): {
  readonly out: Tensor;
  readonly lse: Tensor | null;
} {
  // Where a tensor is needed now: inside tfjs autodiff, or a kernel wrapping another.
  if (typeof (r as { then?: unknown }).then === 'function')
    throw new Error('forward returned a Promise where a synchronous result is needed (tfjs autodiff)');
  const x = r as Tensor | AttentionOutput;
  return 'out' in x && !('dataSync' in x) ? { out: x.out, lse: x.lse ?? null } : { out: x as Tensor, lse: null };
}

/**
 * The score options a kernel implements (absent = false): the generator draws only these for it,
 * and a case with another is declined (reported unsupported), so a kernel written before an option
 * existed is never judged on it.
 */
export interface KernelFeatures {
  /** `opts.softcap`: c·tanh(s/c) before masking. */
  readonly softcap?: boolean;
  /** `opts.alibiSlopes` [Hq] or [B, Hq]. */
  readonly alibi?: boolean;
  /** `opts.bias` [B|1, Hq|1, Sq, Sk], differentiable (dbias). */
  readonly bias?: boolean;
  /** `opts.sinks` [Hq], differentiable (dsinks). */
  readonly sinks?: boolean;
}

export const KERNEL_FEATURES = ['softcap', 'alibi', 'bias', 'sinks'] as const;
export type KernelFeature = (typeof KERNEL_FEATURES)[number];

/** The score options used by `opts` that `features` does not declare (empty: the kernel can run them). */
export function missingFeatures(
  opts: Pick<AttentionOptionsOf<unknown>, 'softcap' | 'alibiSlopes' | 'bias' | 'sinks'>,
  features: KernelFeatures | undefined,
): KernelFeature[] {
  const used: Record<KernelFeature, boolean> = {
    softcap: opts.softcap != null,
    alibi: opts.alibiSlopes != null,
    bias: opts.bias != null,
    sinks: opts.sinks != null,
  };
  return KERNEL_FEATURES.filter((f) => used[f] && features?.[f] !== true);
}

/**
 * Options as `supports` sees them: only the mask's shape, no tensors; `emptyRows` says whether some
 * query row sees no key (the contract then asks for output 0 and zero gradients there, which a
 * textbook `where(mask, s, -inf)` + softmax does not give: decline such cases with it).
 */
export type SupportQuery = AttentionOptionsOf<{ readonly shape: readonly number[] }> & { readonly emptyRows: boolean };

/** Fixed tile sizes: Br query rows by Bc keys. */
export interface Tiles {
  readonly Br: number;
  readonly Bc: number;
}

/** What a kernel promises beyond the contract, so that the harness may test it. */
export interface KernelGuarantees {
  /**
   * Keys that no query of their kv-head group may see are never read, not even as 0·x: the harness
   * then also writes NaN there (junk 'nan'), and a NaN reaching an output is reported as a read of
   * such a key. PyTorch's math SDPA and transformers' eager read them (P·V over all keys, 0·NaN =
   * NaN), so they do not promise it; flash-attn skips them.
   */
  readonly unseenKeysUnread?: boolean;
}

/** What `forwardWithKeep` returns: the output and the keep mask the kernel drew. */
export interface KeptOutput {
  readonly out: Tensor;
  readonly keep: Tensor;
}

export interface AttentionKernel {
  readonly name: string;
  /** q [B,Hq,Sq,D], k [B,Hkv,Sk,D], v [B,Hkv,Sk,Dv] -> out [B,Hq,Sq,Dv], or { out, lse [B,Hq,Sq] }. */
  forward(
    q: Tensor4D,
    k: Tensor4D,
    v: Tensor4D,
    opts: KernelOptions,
    tf: TF,
  ): Tensor | AttentionOutput | Promise<Tensor | AttentionOutput>;
  /**
   * For a kernel that draws its own dropout: the forward returning the keep mask it drew, any
   * shape that holds [B, Hq, Sq, Sk] values (nonzero = kept). Called instead of `forward` when the
   * case has dropout (p > 0); the gradients are those of `out`.
   */
  forwardWithKeep?(
    q: Tensor4D,
    k: Tensor4D,
    v: Tensor4D,
    opts: KernelOptions,
    tf: TF,
  ): KeptOutput | Promise<KeptOutput>;
  /** true, or the reason the kernel declines these options and shapes (the case is then skipped). */
  supports?(opts: SupportQuery, shapes: AttentionShapes): true | string;
  /** The fixed tiles the kernel runs: generated lengths are then aimed at k·Br ± 1 and k·Bc ± 1. */
  readonly tiles?: Tiles;
  readonly guarantees?: KernelGuarantees;
  /** The score options it implements (softcap, alibi, bias, sinks); absent = none. */
  readonly features?: KernelFeatures;
  /**
   * false: the kernel has no backward (an inference kernel, or an op without a tfjs gradient):
   * it is checked forward only, and its verdicts say so. Default true.
   */
  readonly backward?: boolean;
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
