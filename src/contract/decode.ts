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
import { ContractError } from './shapes.js';
import { formatShape } from './tensor.js';
import type { AttentionShapes, HostTensor, Precision } from './types.js';

/** A KV cache, generic in how tensors are carried (HostTensor on the host, tfjs tensors in kernels). */
export type KvCacheOf<T> =
  | { readonly kind: 'contiguous'; readonly k: T; readonly v: T }
  | {
      readonly kind: 'paged';
      readonly kPages: T;
      readonly vPages: T;
      readonly blockTable: readonly (readonly number[])[];
    };

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
  decode(
    q: Tensor,
    cache: KvCacheOf<Tensor>,
    cacheSeqlens: readonly number[],
    opts: DecodeOptions,
    tf: TF,
  ): Tensor | Promise<Tensor>;
}

export function defineDecodeKernel<K extends DecodeKernel>(kernel: K): K {
  return kernel;
}

/** The physical slot (row of the cache's [.., slots, ..] axis) of logical slot j of batch row b. */
export function cacheSlot(
  cache: KvCacheOf<{ readonly shape: readonly number[] }>,
  b: number,
  j: number,
): { readonly page: number; readonly lane: number } {
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
        const at =
          cache.kind === 'contiguous'
            ? ((page * Hkv + h) * t.shape[2]! + lane) * F
            : ((page * t.shape[1]! + lane) * Hkv + h) * F;
        data.set(t.data.subarray(at, at + F), (h * len + j) * F);
      }
    return { shape: [1, Hkv, len, F], data };
  };
  return { k: read(kT), v: read(vT) };
}

/**
 * The sizes of a decode call: an attention call's but Sk (each row has its own), and the slots a row can hold (Smax, or
 * maxPages·pageSize).
 */
export interface DecodeShapes extends Omit<AttentionShapes, 'Sk'> {
  readonly capacity: number;
}

/**
 * Reads the sizes from q and the cache and checks that they, cacheSeqlens and the block table fit
 * the header's shapes; `where` prefixes every message. Of the block table, only the entries a row
 * reads (its first ceil(len_b / pageSize)) must name a page: the rest are never read.
 */
export function decodeShapes(
  q: readonly number[],
  cache: KvCacheOf<{ readonly shape: readonly number[] }>,
  cacheSeqlens: readonly number[],
  where = 'decode',
): DecodeShapes {
  const fail = (field: string, msg: string): never => {
    throw new ContractError(`${where}: ${field}`, msg);
  };
  const dims = (name: string, s: readonly number[]) => {
    if (s.length !== 4) fail(`${name}.shape`, `must have rank 4, got ${formatShape(s)}`);
    if (!s.every((d) => Number.isInteger(d) && d >= 1))
      fail(`${name}.shape`, `every dim must be a positive integer, got ${formatShape(s)}`);
    return s as [number, number, number, number];
  };
  const [B, Hq, Sq, D] = dims('q', q);
  const [kName, vName] = cache.kind === 'contiguous' ? ['cache.k', 'cache.v'] : ['cache.kPages', 'cache.vPages'];
  const k = dims(kName, cache.kind === 'contiguous' ? cache.k.shape : cache.kPages.shape);
  const v = dims(vName, cache.kind === 'contiguous' ? cache.v.shape : cache.vPages.shape);
  if (k[3] !== D) fail(`${kName}.shape`, `head dim ${k[3]} does not match q's D=${D}`);
  if (k[0] !== v[0] || k[1] !== v[1] || k[2] !== v[2])
    fail(
      `${vName}.shape`,
      `${formatShape(v)} must match ${kName.slice(6)} ${formatShape(k)} in every dim but the last`,
    );
  // contiguous [B, Hkv, Smax, F]; paged [numPages, pageSize, Hkv, F]
  const Hkv = cache.kind === 'contiguous' ? k[1] : k[2];
  if (Hq % Hkv !== 0) fail(`${kName}.shape`, `Hq=${Hq} is not a multiple of Hkv=${Hkv}`);
  let capacity = k[2];
  if (cache.kind === 'contiguous') {
    if (k[0] !== B) fail('cache.k.shape', `batch ${k[0]} does not match q's B=${B}`);
  } else {
    const table = cache.blockTable;
    if (table.length !== B) fail('cache.blockTable', `has ${table.length} rows, B=${B}`);
    table.forEach((row, b) => {
      if (row.length !== table[0]!.length)
        fail(`cache.blockTable[${b}]`, `has ${row.length} entries, row 0 has ${table[0]!.length}`);
    });
    capacity = table[0]!.length * k[1];
  }
  if (cacheSeqlens.length !== B) fail('cacheSeqlens', `has ${cacheSeqlens.length} entries, B=${B}`);
  cacheSeqlens.forEach((len, b) => {
    if (!Number.isInteger(len) || len < 0 || len > capacity)
      fail(`cacheSeqlens[${b}]`, `must be an integer in [0, ${capacity}], got ${len}`);
    if (cache.kind !== 'paged') return;
    for (let p = 0; p < Math.ceil(len / k[1]); p++) {
      const page = cache.blockTable[b]![p]!;
      if (!Number.isInteger(page) || page < 0 || page >= k[0])
        fail(
          `cache.blockTable[${b}][${p}]`,
          `must name a page in [0, ${k[0] - 1}] (row ${b} reads it: cacheSeqlens ${len}), got ${page}`,
        );
    }
  });
  return { B, Hq, Hkv, Sq, D, Dv: v[3], capacity };
}
