/**
 * Host kernels: attention code that runs outside tfjs (ONNX Runtime in Node, a native addon, a
 * worker process in any language, a browser page). The harness hands it the case's tensors as
 * float32 arrays in the contract layout (types.ts), already rounded to the case's precision, with
 * the options as plain data, and takes back typed arrays. It is judged exactly as a tfjs kernel
 * is: the same oracle, verdicts, why-lines, saved cases, replay, campaigns and export.
 *
 *   export default defineHostKernel({
 *     name: 'mine',
 *     async run({ q, k, v, options, dOut }) {        // q [B,Hq,Sq,D] ... as Float32Array, row-major
 *       const out = await myAttention(q, k, v, options);
 *       if (dOut === null) return { out };            // forward only asked for
 *       return { out, ...(await myBackward(...)) };   // dq, dk, dv (dbias, dsinks when the options have them)
 *     },
 *     precisions: ['float32', 'bfloat16'],            // what it computes in; other cases are declined
 *     features: { softcap: true },                    // score options, as a tfjs kernel declares them
 *   });
 *
 * What a host kernel receives:
 *   q, k, v      HostArray, the contract layout, values already rounded to options.precision
 *   options      the contract's options: mask as bytes [B|1, Hq|1, Sq, Sk] (1 = may attend), the
 *                dropout keep mask [B, Hq, Sq, Sk] (1 = kept; scale kept weights by 1 / (1 - p))
 *                whenever p > 0, ALiBi slopes, bias and sinks as float32 arrays; `scale` explicit
 *   dOut         the cotangent of out (gradients are those of sum(out ∘ dOut)), or null when only the
 *                forward pass is asked for (a `backward: false` kernel, `--forward-only`)
 * What it returns: out [B, Hq, Sq, Dv]; lse [B, Hq, Sq] (base e) if it has one; with dOut, dq, dk, dv
 * in q's, k's, v's shapes, and dbias (the bias's shape), dsinks [Hq] when the options have them.
 * Each as { shape, data } with any numeric typed array (Float32Array, Float64Array, ...): the shape
 * is judged before the values, as for a tfjs kernel.
 *
 * A host kernel may also do KV-cache decode (`decode`, the contract of decode.ts, forward only) and
 * be a LoRA linear layer (`lora`, the contract of lora.ts). A method may be async; the harness
 * awaits it, and a call that never settles costs its case (the per-case timeout).
 */
import type { DecodeOptions, KvCacheOf } from './decode.js';
import type { KernelFeatures, KernelGuarantees, SupportQuery, Tiles } from './kernel.js';
import type { LoraSpec } from './lora.js';
import type { AttentionOptionsOf, AttentionShapes, Precision } from './types.js';

/** A dense row-major float32 tensor, as the harness hands it to a host kernel. */
export interface HostArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A dense row-major boolean tensor: 1 = true, 0 = false. */
export interface HostBoolArray {
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** A tensor as a host kernel returns it: any numeric typed array (or array) with its shape. */
export interface HostArrayLike {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/**
 * The options of one call: the contract's, with the mask and the dropout keep mask as bytes and the
 * float options (ALiBi slopes, bias, sinks) as float32. `dropout.keep` is always there when
 * `dropout.p > 0`.
 */
export type HostKernelOptions = AttentionOptionsOf<HostBoolArray, HostArray>;

/** One attention call on a host kernel. */
export interface HostAttentionCall {
  readonly q: HostArray;
  readonly k: HostArray;
  readonly v: HostArray;
  readonly options: HostKernelOptions;
  /** The cotangent of out [B, Hq, Sq, Dv]; null when only the forward pass is asked for. */
  readonly dOut: HostArray | null;
}

/** What a host kernel returns from an attention call (gradients only when it was given dOut). */
export interface HostAttentionResult {
  readonly out: HostArrayLike;
  readonly lse?: HostArrayLike;
  readonly dq?: HostArrayLike;
  readonly dk?: HostArrayLike;
  readonly dv?: HostArrayLike;
  readonly dbias?: HostArrayLike;
  readonly dsinks?: HostArrayLike;
  /**
   * A kernel that draws its own dropout (p > 0) may return the mask it drew, [B, Hq, Sq, Sk]
   * (nonzero = kept): the reference then replays it, as for a tfjs kernel's `forwardWithKeep`.
   */
  readonly keep?: HostArrayLike;
}

/** One KV-cache decode call (decode.ts): q and the cache as float32, NaN in every slot it must not read. */
export interface HostDecodeCall {
  readonly q: HostArray;
  readonly cache: KvCacheOf<HostArray>;
  readonly cacheSeqlens: readonly number[];
  readonly options: DecodeOptions;
}

/** What `supportsDecode` sees of a decode call: its options and sizes, no tensors. */
export interface DecodeQuery {
  readonly options: DecodeOptions;
  readonly cache: 'contiguous' | 'paged';
  readonly shapes: { readonly B: number; readonly Hq: number; readonly Hkv: number; readonly Sq: number };
  readonly D: number;
  readonly Dv: number;
  /** Slots a row can hold (Smax, or maxPages · pageSize). */
  readonly capacity: number;
  /** Page size of a paged cache; null for a contiguous one. */
  readonly pageSize: number | null;
  readonly cacheSeqlens: readonly number[];
}

/** One LoRA linear call (lora.ts): y = x·W0ᵀ + s · dropout(x)·Aᵀ·Bᵀ, with dY for the gradients of sum(y ∘ dY). */
export interface HostLoraCall {
  readonly x: HostArray;
  readonly W0: HostArray;
  readonly A: HostArray;
  readonly B: HostArray;
  readonly spec: LoraSpec;
  /** The adapter input's keep mask [N, in] (1 = kept) when spec.dropout has p > 0. */
  readonly keep: HostBoolArray | null;
  readonly dY: HostArray;
}

export interface HostLoraResult {
  readonly y: HostArrayLike;
  readonly dx: HostArrayLike;
  readonly dA: HostArrayLike;
  readonly dB: HostArrayLike;
}

type MaybeAsync<T> = T | Promise<T>;

export interface HostKernel {
  /** Tells a host kernel from a tfjs kernel (`defineHostKernel` sets it). */
  readonly kind: 'host';
  readonly name: string;
  /** Attention: forward, and the gradients when `dOut` is given. */
  run?(call: HostAttentionCall): MaybeAsync<HostAttentionResult>;
  /** KV-cache decode: out [B, Hq, Sq, Dv]. */
  decode?(call: HostDecodeCall): MaybeAsync<HostArrayLike>;
  /** A LoRA linear layer: y and the gradients dx, dA, dB. */
  lora?(call: HostLoraCall): MaybeAsync<HostLoraResult>;
  /** true, or the reason an attention case is declined (reported unsupported, not failed). */
  supports?(opts: SupportQuery, shapes: AttentionShapes): true | string;
  /** true, or the reason a decode case is declined. */
  supportsDecode?(q: DecodeQuery): true | string;
  /** true, or the reason a LoRA case is declined. */
  supportsLora?(spec: LoraSpec): true | string;
  /** The precisions it computes in (natively or emulated); a case in another is declined. Default: all. */
  readonly precisions?: readonly Precision[];
  /** As a tfjs kernel declares them (kernel.ts). */
  readonly features?: KernelFeatures;
  readonly tiles?: Tiles;
  readonly guarantees?: KernelGuarantees;
  /** false: no gradients (dOut is always null); default true. */
  readonly backward?: boolean;
  /** Where it runs, as reports print it: 'cpu', 'cuda:0 (NVIDIA H100)', 'webgpu (swiftshader)'. */
  readonly device?: string;
  /** Releases what it holds (a worker process, a browser page, sessions); called once when the run ends. */
  close?(): MaybeAsync<void>;
}

/** Types a host kernel and marks it `kind: 'host'`. */
export function defineHostKernel<K extends Omit<HostKernel, 'kind'>>(kernel: K): K & { readonly kind: 'host' } {
  return { ...kernel, kind: 'host' };
}

export function isHostKernel(k: unknown): k is HostKernel {
  return typeof k === 'object' && k !== null && (k as { kind?: unknown }).kind === 'host';
}
