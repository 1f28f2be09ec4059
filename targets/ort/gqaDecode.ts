/**
 * KV-cache decode through com.microsoft `GroupQueryAttention` (see gqa.ts for the table).
 *
 * Decode: row b's past is its first len_b - Sq keys (in a buffer of the longest past, or of the
 * cache's Smax: drawn; NaN in every slot past a row's past), key/value its last Sq keys,
 * seqlens_k = len_b - 1, total_sequence_length = the longest row. Declined: a row shorter than Sq
 * (the new tokens end the row), causal false with Sq > 1, B > 1 with Sq > 1 and a past (the CPU
 * kernel's limit), a paged cache.
 */
import type { DecodeQuery, HostDecodeCall } from '../../src/contract/index.js';
import { type FormOptions, formsOf } from './forms.js';
import { build, common, type GqaCall, gather, gqaHeadSize, pastBuffer, scoreAttrs } from './gqa.js';
import { dtypeOf, type OpPlan, padFeatures } from './plan.js';

export function gqaDecodeSupports(q: DecodeQuery): true | string {
  const no = common(q.options);
  if (no !== null) return no;
  if (q.cache === 'paged') return 'GroupQueryAttention takes a contiguous cache (past_key [B, Hkv, buffer, D])';
  if (q.cacheSeqlens.some((l) => l < q.shapes.Sq))
    return 'GroupQueryAttention appends the Sq new keys after the past: every row needs at least Sq keys';
  if (!q.options.causal && q.shapes.Sq > 1) return 'GroupQueryAttention is always causal: not causal needs Sq = 1';
  if (q.shapes.B > 1 && q.shapes.Sq > 1 && q.cacheSeqlens.some((l) => l > q.shapes.Sq))
    return 'GroupQueryAttention (CPU) needs batch_size 1 when sequence_length > 1 and past context is given';
  return true;
}

/** The plan of one decode call (see the header). */
export function gqaDecodePlan(call: HostDecodeCall, fo: FormOptions = {}): OpPlan {
  if (call.cache.kind !== 'contiguous') throw new Error('ort:gqa: a paged cache is declined (supportsDecode)');
  const [B, Hq, Sq, D] = call.q.shape as [number, number, number, number];
  const [, Hkv, Smax, Dv] = call.cache.v.shape as [number, number, number, number];
  const Dp = gqaHeadSize(D, Dv);
  const lens = call.cacheSeqlens;
  const f = formsOf(call.q.data, fo);
  const dtype = dtypeOf(call.options.precision);
  const rows = B * Hkv;
  const past = (r: number) => lens[Math.floor(r / Hkv)]! - Sq;
  const longest = Math.max(...lens.map((l) => l - Sq));
  const buffer = f.pick('past buffer', ['longest past', 'cache (Smax)'] as const) === 'longest past' ? longest : Smax;
  const { k, v } = call.cache;
  const c: GqaCall = {
    B,
    Hq,
    Hkv,
    Sq,
    Dp,
    dtype,
    q: padFeatures(call.q.data, B * Hq * Sq, D, Dp),
    kNew: gather(k.data, rows, Smax, D, Dp, past, () => Sq, Sq),
    vNew: gather(v.data, rows, Smax, Dv, Dp, past, () => Sq, Sq),
    past: buffer > 0 ? pastBuffer(k.data, v.data, rows, Smax, D, Dv, Dp, past, buffer) : null,
    seqlensK: Int32Array.from(lens, (l) => l - 1),
    total: Math.max(...lens),
  };
  const attrs = scoreAttrs(f, call.options.scale, D, Dp, null);
  const { spec, feeds } = build(c, f, attrs, null, null);
  return { spec, feeds, output: { name: 'output', layout: 'BSH', B, H: Hq, S: Sq, F: Dp, Dv }, forms: f };
}
