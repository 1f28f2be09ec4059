/**
 * KV-cache decode, the contract of flash-attn's `flash_attn_with_kvcache` (and FlashInfer's and
 * vLLM's paged decode): new queries attend to the keys a cache holds for their batch row.
 *
 *   q             [B, Hq, Sq, D]         the new queries (Sq = 1 for one decode step)
 *   cache         contiguous: k [B, Hkv, Smax, D], v [B, Hkv, Smax, Dv]
 *                 paged:      kPages [numPages, pageSize, Hkv, D], vPages [numPages, pageSize, Hkv, Dv],
 *                             blockTable [B, maxPages]: logical page p of row b is physical page blockTable[b][p]
 *   cacheSeqlens  [B]: row b's keys are its logical slots 0 .. len_b - 1; every slot past len_b (the
 *                 rest of the last page, unused pages, the cache past len_b) is never read
 *   out           [B, Hq, Sq, Dv]
 *
 * Causal is bottom-right within each row: query i sees key j iff j <= i + len_b - Sq (the queries
 * are the last Sq positions of the row). A row that sees no key (len_b = 0, or causal with
 * len_b < Sq for its first queries) has output 0.
 *
 *   paged, pageSize 3, len_b = 5, blockTable[b] = [4, 1]:
 *     logical slots  0 1 2 | 3 4 .      physical page 4 holds slots 0-2, page 1 holds 3-4;
 *     page           4 4 4 | 1 1 1      slot 5 (page 1, lane 2) is padding: never read
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from './kernel.js';
import type { HostTensor, Precision } from './types.js';

/** A KV cache, generic in how tensors are carried (HostTensor on the host, tfjs tensors in kernels). */
export type KvCacheOf<T> =
  | { readonly kind: 'contiguous'; readonly k: T; readonly v: T }
  | { readonly kind: 'paged'; readonly kPages: T; readonly vPages: T; readonly blockTable: readonly (readonly number[])[] };

export type KvCache = KvCacheOf<HostTensor>;

export interface DecodeOptions {
  /** Multiplies q·kᵀ. */
  readonly scale: number;
  /** Bottom-right causal within each row (see the header). */
  readonly causal: boolean;
  readonly precision: Precision;
}

/** A decode kernel: forward only (decode is inference). */
export interface DecodeKernel {
  readonly name: string;
  /** q [B,Hq,Sq,D], the cache, cacheSeqlens [B] -> out [B,Hq,Sq,Dv]. */
  decode(q: Tensor, cache: KvCacheOf<Tensor>, cacheSeqlens: readonly number[], opts: DecodeOptions, tf: TF): Tensor;
}

export function defineDecodeKernel<K extends DecodeKernel>(kernel: K): K {
  return kernel;
}

/** The physical slot (row of the cache's [.., slots, ..] axis) of logical slot j of batch row b. */
export function cacheSlot(cache: KvCacheOf<{ readonly shape: readonly number[] }>, b: number, j: number): { readonly page: number; readonly lane: number } {
  if (cache.kind === 'contiguous') return { page: b, lane: j };
  const pageSize = cache.kPages.shape[1]!;
  return { page: cache.blockTable[b]![Math.floor(j / pageSize)]!, lane: j % pageSize };
}

/** Row b's keys and values as contract tensors k [1, Hkv, len, D], v [1, Hkv, len, Dv], read slot by slot. */
export function logicalKv(cache: KvCache, b: number, len: number): { k: HostTensor; v: HostTensor } {
  const kT = cache.kind === 'contiguous' ? cache.k : cache.kPages;
  const vT = cache.kind === 'contiguous' ? cache.v : cache.vPages;
  // contiguous [B, Hkv, Smax, F] (head before slot); paged [numPages, pageSize, Hkv, F] (slot before head)
  const Hkv = cache.kind === 'contiguous' ? kT.shape[1]! : kT.shape[2]!;
  const read = (t: HostTensor) => {
    const F = t.shape[3]!;
    const data = new Float64Array(Hkv * len * F);
    for (let h = 0; h < Hkv; h++)
      for (let j = 0; j < len; j++) {
        const { page, lane } = cacheSlot(cache, b, j);
        const at = cache.kind === 'contiguous' ? ((page * Hkv + h) * t.shape[2]! + lane) * F : ((page * t.shape[1]! + lane) * Hkv + h) * F;
        data.set(t.data.subarray(at, at + F), (h * len + j) * F);
      }
    return { shape: [1, Hkv, len, F], data };
  };
  return { k: read(kT), v: read(vT) };
}
