/**
 * The host executor: runs a host kernel (src/contract/hostKernel.ts) on a case's host tensors. It
 * hands the kernel float32 copies in the contract layout (the values are already rounded to the
 * case's precision), the options as plain data (the dropout keep mask made from the contract's hash
 * whenever p > 0), awaits the answer, checks that the tensors the call asks for are there, and gives
 * them back as float64 host tensors, exactly as the tfjs executor (tfjs.ts) does. Shapes are not
 * checked here: the oracle judges a shape before the values (a SHAPE verdict names the tensor).
 *
 *   harness (float64, contract layout)  --float32 copy-->  kernel.run / decode / lora  --any typed array-->
 *   float64 back, one tensor per name
 */
import {
  type AttentionInputs,
  type AttentionOptions,
  type DecodeOptions,
  describeValue,
  dropoutKeepPattern,
  type HostArray,
  type HostArrayLike,
  type HostAttentionResult,
  type HostKernel,
  type HostKernelOptions,
  type HostTensor,
  type KvCache,
  type KvCacheOf,
  type LoraInputs,
  type LoraResult,
  type LoraSpec,
} from '../contract/index.js';
import type { KernelRun } from './tfjs.js';

/** A float32 copy of a host tensor. */
export function toHostArray(t: { readonly shape: readonly number[]; readonly data: ArrayLike<number> }): HostArray {
  return { shape: [...t.shape], data: Float32Array.from(t.data) };
}

/** The options of an attention call as a host kernel receives them (see hostKernel.ts). */
export function hostOptions(opts: AttentionOptions, q: HostTensor, k: HostTensor): HostKernelOptions {
  const [B, Hq, Sq] = q.shape as [number, number, number];
  const Sk = k.shape[2]!;
  const f = (t: HostTensor | null | undefined) => (t == null ? null : toHostArray(t));
  const d = opts.dropout;
  const dropout =
    d === null
      ? null
      : {
          p: d.p,
          seed: d.seed,
          ...(d.p > 0 ? { keep: { shape: [B, Hq, Sq, Sk], data: dropoutKeepPattern(d, [B, Hq, Sq, Sk]) } } : {}),
        };
  return {
    ...opts,
    mask: opts.mask === null ? null : { shape: [...opts.mask.shape], data: Uint8Array.from(opts.mask.data) },
    dropout,
    softcap: opts.softcap ?? null,
    alibiSlopes: f(opts.alibiSlopes),
    bias: f(opts.bias),
    sinks: f(opts.sinks),
  };
}

/** A tensor the kernel returned, as float64; a missing or malformed one is the kernel's fault, named. */
function download(kernel: HostKernel, what: string, t: HostArrayLike | undefined): HostTensor {
  const ok =
    typeof t === 'object' &&
    t !== null &&
    Array.isArray(t.shape) &&
    t.data !== null &&
    typeof t.data === 'object' &&
    typeof t.data.length === 'number';
  if (!ok) throw new Error(`${kernel.name} returned ${describeValue(t)} as ${what}, expected { shape, data }`);
  return { shape: [...t!.shape], data: Float64Array.from(t!.data) };
}

/**
 * Forward (and, with `backward`, the gradients of sum(out ∘ dOut)) of a host kernel's `run`. Throws
 * what the kernel throws, or a named error for a result without the tensors asked for; `onBackward`
 * is told when the forward tensors were read, so an error about a gradient is reported in the
 * backward phase.
 */
export async function runHostAttention(
  kernel: HostKernel,
  inputs: AttentionInputs,
  opts: AttentionOptions,
  o: { readonly backward: boolean; readonly onBackward?: () => void },
): Promise<KernelRun> {
  if (typeof kernel.run !== 'function') throw new Error(`${kernel.name} has no run (attention) method`);
  const call = {
    q: toHostArray(inputs.q),
    k: toHostArray(inputs.k),
    v: toHostArray(inputs.v),
    options: hostOptions(opts, inputs.q, inputs.k),
    dOut: o.backward ? toHostArray(inputs.dOut) : null,
  };
  const r: HostAttentionResult = await kernel.run(call);
  if (typeof r !== 'object' || r === null) throw new Error(`${kernel.name}.run returned ${describeValue(r)}`);
  const out = download(kernel, 'out', r.out);
  const lse = r.lse === undefined ? null : download(kernel, 'lse', r.lse);
  const keep = r.keep === undefined ? null : download(kernel, 'keep', r.keep);
  if (!o.backward) return { out, lse, grads: null, keep };
  o.onBackward?.();
  const grad = (name: 'dq' | 'dk' | 'dv' | 'dbias' | 'dsinks') => download(kernel, name, r[name]);
  const grads = {
    dq: grad('dq'),
    dk: grad('dk'),
    dv: grad('dv'),
    ...(opts.bias != null ? { dbias: grad('dbias') } : {}),
    ...(opts.sinks != null ? { dsinks: grad('dsinks') } : {}),
  };
  return { out, lse, grads, keep };
}

/** out [B, Hq, Sq, Dv] of a host kernel's `decode` on q and the cache (NaN in the slots it must not read). */
export async function runHostDecode(
  kernel: HostKernel,
  q: HostTensor,
  cache: KvCache,
  cacheSeqlens: readonly number[],
  options: DecodeOptions,
): Promise<HostTensor> {
  if (typeof kernel.decode !== 'function') throw new Error(`${kernel.name} has no decode method`);
  const c: KvCacheOf<HostArray> =
    cache.kind === 'contiguous'
      ? { kind: 'contiguous', k: toHostArray(cache.k), v: toHostArray(cache.v) }
      : {
          kind: 'paged',
          kPages: toHostArray(cache.kPages),
          vPages: toHostArray(cache.vPages),
          blockTable: cache.blockTable,
        };
  const out = await kernel.decode({ q: toHostArray(q), cache: c, cacheSeqlens: [...cacheSeqlens], options });
  return download(kernel, 'decode out', out);
}

/** y and the gradients dx, dA, dB of a host kernel's `lora` (W0 frozen). */
export async function runHostLora(
  kernel: HostKernel,
  inputs: LoraInputs,
  spec: LoraSpec,
  o: { readonly onBackward?: () => void } = {},
): Promise<LoraResult> {
  if (typeof kernel.lora !== 'function') throw new Error(`${kernel.name} has no lora method`);
  const [N, F] = inputs.x.shape as [number, number];
  const d = spec.dropout;
  const keep = d !== null && d.p > 0 ? { shape: [N, F], data: dropoutKeepPattern(d, [1, 1, N, F]) } : null;
  const r = await kernel.lora({
    x: toHostArray(inputs.x),
    W0: toHostArray(inputs.W0),
    A: toHostArray(inputs.A),
    B: toHostArray(inputs.B),
    spec,
    keep,
    dY: toHostArray(inputs.dY),
  });
  if (typeof r !== 'object' || r === null) throw new Error(`${kernel.name}.lora returned ${describeValue(r)}`);
  const y = download(kernel, 'y', r.y);
  o.onBackward?.();
  return { y, dx: download(kernel, 'dx', r.dx), dA: download(kernel, 'dA', r.dA), dB: download(kernel, 'dB', r.dB) };
}
