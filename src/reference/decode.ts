/**
 * The float64 reference of KV-cache decode (src/contract/decode.ts): each batch row on its own,
 * its logical keys read slot by slot from the cache (so no unused slot or page is ever read), then
 * the attention reference with Sk = len_b, where bottom-right causal is exactly "query i sees key j
 * iff j <= i + len_b - Sq".
 */
import { defaultOptions, logicalKv, zeros, type DecodeOptions, type HostTensor, type KvCache } from '../contract/index.js';
import { referenceAttentionForward } from './attention.js';

/** out [B, Hq, Sq, Dv] of q [B, Hq, Sq, D] against the cache's first cacheSeqlens[b] keys of each row. */
export function referenceDecode(q: HostTensor, cache: KvCache, cacheSeqlens: readonly number[], opts: Pick<DecodeOptions, 'scale' | 'causal'>): HostTensor {
  const [B, Hq, Sq, D] = q.shape as [number, number, number, number];
  const Dv = (cache.kind === 'contiguous' ? cache.v : cache.vPages).shape[3]!;
  const out = zeros([B, Hq, Sq, Dv]);
  const rowSize = Hq * Sq * D;
  for (let b = 0; b < B; b++) {
    const len = cacheSeqlens[b]!;
    if (len === 0) continue; // no key: output 0
    const { k, v } = logicalKv(cache, b, len);
    const qb = { shape: [1, Hq, Sq, D], data: q.data.subarray(b * rowSize, (b + 1) * rowSize) as Float64Array };
    const r = referenceAttentionForward({ q: qb, k, v }, { ...defaultOptions({ D }), scale: opts.scale, causal: opts.causal ? 'bottom-right' : 'none' });
    out.data.set(r.out.data, b * Hq * Sq * Dv);
  }
  return out;
}
