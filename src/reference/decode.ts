/**
 * The float64 reference of KV-cache decode (src/contract/decode.ts): each batch row on its own,
 * its logical keys read slot by slot from the cache (so no unused slot or page is ever read), then
 * the attention reference with Sk = len_b, where bottom-right causal is exactly "query i sees key j
 * iff j <= i + len_b - Sq".
 *
 * `round` gives the same-precision baseline (src/oracle/tolerance.ts): the attention reference
 * rounded at the contract's points, row by row. `decodeTermScales` are the error scales of `out`
 * (termScales.ts) over the rows: the largest term norm and mass, the largest visible logit, and the
 * longest row (the longest sum).
 */
import {
  type AttentionInputs,
  type AttentionOptions,
  type DecodeOptions,
  defaultOptions,
  type HostTensor,
  type KvCache,
  logicalKv,
  zeros,
} from '../contract/index.js';
import { referenceAttentionForward } from './attention.js';
import { attentionTermScales } from './termScales.js';

type Opts = Pick<DecodeOptions, 'scale' | 'causal'>;

/** Calls `f` with each non-empty row as an attention call: q [1, Hq, Sq, D], k, v [1, Hkv, len_b, F]. */
function eachRow(
  q: HostTensor,
  cache: KvCache,
  cacheSeqlens: readonly number[],
  opts: Opts,
  f: (b: number, inputs: Pick<AttentionInputs, 'q' | 'k' | 'v'>, o: AttentionOptions) => void,
): void {
  const [B, Hq, Sq, D] = q.shape as [number, number, number, number];
  const rowSize = Hq * Sq * D;
  const o: AttentionOptions = {
    ...defaultOptions({ D }),
    scale: opts.scale,
    causal: opts.causal ? 'bottom-right' : 'none',
  };
  for (let b = 0; b < B; b++) {
    const len = cacheSeqlens[b]!;
    if (len === 0) continue; // no key: output 0
    const { k, v } = logicalKv(cache, b, len);
    f(
      b,
      { q: { shape: [1, Hq, Sq, D], data: q.data.subarray(b * rowSize, (b + 1) * rowSize) as Float64Array }, k, v },
      o,
    );
  }
}

/** out [B, Hq, Sq, Dv] of q [B, Hq, Sq, D] against the cache's first cacheSeqlens[b] keys of each row. */
export function referenceDecode(
  q: HostTensor,
  cache: KvCache,
  cacheSeqlens: readonly number[],
  opts: Opts,
  round?: (x: number) => number,
): HostTensor {
  const [B, Hq, Sq] = q.shape as [number, number, number, number];
  const Dv = (cache.kind === 'contiguous' ? cache.v : cache.vPages).shape[3]!;
  const out = zeros([B, Hq, Sq, Dv]);
  eachRow(q, cache, cacheSeqlens, opts, (b, inputs, o) =>
    out.data.set(referenceAttentionForward(inputs, o, round).out.data, b * Hq * Sq * Dv),
  );
  return out;
}

/** The error scales of decode's out (see the header): N_out, M_out, L, n. */
export function decodeTermScales(
  q: HostTensor,
  cache: KvCache,
  cacheSeqlens: readonly number[],
  opts: Opts,
): { terms: number; mass: number; logit: number; keys: number } {
  const [, Hq, Sq] = q.shape as [number, number, number, number];
  const Dv = (cache.kind === 'contiguous' ? cache.v : cache.vPages).shape[3]!;
  const s = { terms: 0, mass: 0, logit: 0, keys: Math.max(0, ...cacheSeqlens) };
  eachRow(q, cache, cacheSeqlens, opts, (_b, inputs, o) => {
    // out's scales do not depend on dOut (only the gradients' do).
    const t = attentionTermScales({ ...inputs, dOut: zeros([1, Hq, Sq, Dv]) }, o);
    s.terms = Math.max(s.terms, t.out);
    s.mass = Math.max(s.mass, t.mass.out);
    s.logit = Math.max(s.logit, t.logit);
  });
  return s;
}
