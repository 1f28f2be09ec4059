/**
 * KV-cache decode through the ONNX `Attention` op (see attention.ts's header for the table): a
 * contiguous cache [B, Hkv, Smax, D], row b holding cacheSeqlens[b] keys, the Sq queries the last
 * positions of their row (bottom-right causal within a row when causal).
 *
 *   form 'nonpad_kv_seqlen' (opset 24)  K, V = the cache (all Smax slots, or the longest row's),
 *                                       nonpad_kv_seqlen = cacheSeqlens, is_causal = causal: the spec's
 *                                       offset nonpad[b] - Sq is the contract's diagonal
 *   form 'past'                         past_key/value = the first P slots, K, V = the rest of the
 *                                       longest row; is_causal alone when every row holds the same
 *                                       L >= Sq keys (P = L - Sq), else the lengths and causal in a
 *                                       bool or float attn_mask [B, 1, Sq, T]
 *
 * Slots past a row's length are zeroed: the op reads every slot it is given (NaN there reaches Y, in
 * the spec's reference too: its padding mask is an additive -inf), so NaN, the contract's marker of a
 * slot never to read, is a contract difference here, not a finding.
 */
import type { DecodeQuery, HostDecodeCall } from '../../src/contract/index.js';
import type { AttentionOpset } from './attention.js';
import { type FormOptions, formsOf } from './forms.js';
import type { AttrValue } from './onnxModel.js';
import { dtypeOf, laidOut, type OpPlan, PlanBuilder } from './plan.js';
import { sliceKeys } from './tensors.js';

export function attentionDecodeSupports(q: DecodeQuery): true | string {
  if (q.cache === 'paged')
    return 'Attention takes a contiguous cache (past_key [B, Hkv, past, D]); a cache in pages is PagedAttention';
  if (q.options.precision === 'bfloat16') return 'onnxruntime 1.30 has no CPU kernel for Attention in bfloat16';
  return true;
}

/** The cache with every slot past its row's length set to 0 (a copy). */
function zeroPast(x: Float32Array, B: number, Hkv: number, S: number, F: number, lens: readonly number[]) {
  const out = Float32Array.from(x);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hkv; h++) out.fill(0, ((b * Hkv + h) * S + lens[b]!) * F, ((b * Hkv + h) * S + S) * F);
  return out;
}

export function attentionDecodePlan(call: HostDecodeCall, opset: AttentionOpset, fo: FormOptions = {}): OpPlan {
  if (call.cache.kind !== 'contiguous') throw new Error('ort:attention: a paged cache is declined (supportsDecode)');
  const [B, Hq, Sq, D] = call.q.shape as [number, number, number, number];
  const [, Hkv, Smax, Dv] = call.cache.v.shape as [number, number, number, number];
  const lens = call.cacheSeqlens;
  const o = call.options;
  const f = formsOf(call.q.data, fo);
  const dtype = dtypeOf(o.precision);
  const k = zeroPast(call.cache.k.data, B, Hkv, Smax, D, lens);
  const v = zeroPast(call.cache.v.data, B, Hkv, Smax, Dv, lens);
  const longest = Math.max(1, ...lens);
  const form = opset >= 24 ? f.pick('cache', ['nonpad_kv_seqlen', 'past'] as const) : 'past';
  const T =
    form === 'nonpad_kv_seqlen' && f.pick('slots', ['Smax', 'longest row'] as const) === 'Smax' ? Smax : longest;
  const uniform = lens.every((l) => l === lens[0]) && lens[0]! >= Sq;
  const nativeCausal = form === 'nonpad_kv_seqlen' ? o.causal : o.causal && uniform;
  const P = form === 'nonpad_kv_seqlen' ? 0 : nativeCausal ? T - Sq : T > 1 && f.flag('past split') ? T >> 1 : 0;
  const needsMask = form === 'past' && (!uniform || lens[0] !== T || (o.causal && !nativeCausal));
  const layout = f.pick('rank', ['4D', '3D'] as const) === '4D' ? 'BHSD' : 'BSH';
  const attrs: Record<string, AttrValue> = {};
  if (nativeCausal) attrs.is_causal = { int: 1 };
  if (layout === 'BSH') Object.assign(attrs, { q_num_heads: { int: Hq }, kv_num_heads: { int: Hkv } });
  if (Math.fround(o.scale) !== Math.fround(1 / Math.sqrt(D)) || f.flag('scale given')) attrs.scale = { float: o.scale };
  let mask = null;
  if (needsMask) {
    const vis = new Uint8Array(B * Sq * T);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < Sq; i++)
        for (let j = 0; j < T; j++)
          vis[(b * Sq + i) * T + j] = j < lens[b]! && (!o.causal || j <= i + lens[b]! - Sq) ? 1 : 0;
    const bool = f.pick('mask', ['bool', 'float'] as const) === 'bool';
    const data = bool ? vis : Float32Array.from(vis, (x) => (x === 1 ? 0 : -Infinity));
    mask = { dtype: bool ? ('bool' as const) : dtype, dims: [B, 1, Sq, T], data };
  }
  const rows = B * Hkv;
  const p = new PlanBuilder()
    .input('Q', laidOut(call.q.data, [B, Hq, Sq, D], layout, dtype))
    .input('K', laidOut(sliceKeys(k, rows, Smax, D, P, T - P), [B, Hkv, T - P, D], layout, dtype))
    .input('V', laidOut(sliceKeys(v, rows, Smax, Dv, P, T - P), [B, Hkv, T - P, Dv], layout, dtype))
    .input('attn_mask', mask)
    .input('past_key', P > 0 ? { dtype, dims: [B, Hkv, P, D], data: sliceKeys(k, rows, Smax, D, 0, P) } : null)
    .input('past_value', P > 0 ? { dtype, dims: [B, Hkv, P, Dv], data: sliceKeys(v, rows, Smax, Dv, 0, P) } : null);
  if (form === 'nonpad_kv_seqlen')
    p.input('nonpad_kv_seqlen', { dtype: 'int64', dims: [B], data: BigInt64Array.from(lens, (l) => BigInt(l)) });
  const present = P > 0 || f.flag('present_key/value');
  p.output('Y', dtype, layout === 'BHSD' ? 4 : 3)
    .output('present_key', dtype, 4, present)
    .output('present_value', dtype, 4, present);
  const spec = {
    opType: 'Attention',
    domain: '' as const,
    opset,
    inputs: p.inputs,
    outputs: p.outputs,
    attributes: attrs,
  };
  return { spec, feeds: p.feeds, output: { name: 'Y', layout, B, H: Hq, S: Sq, F: Dv, Dv }, forms: f };
}
