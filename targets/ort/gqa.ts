/**
 * `ort:gqa`: com.microsoft `GroupQueryAttention`, CPU kernel of onnxruntime 1.30. The op is always
 * causal, bottom-right within each row: the Sq new tokens are the last of the row's
 * seqlens_k[b] + 1 keys (their K, V appended after the row's past).
 *
 *   contract                  GroupQueryAttention input / attribute             when
 *   q [B,Hq,Sq,D]             query [B, Sq, Hq·D], num_heads; or packed         drawn (packed)
 *                             [B, Sq, (Hq + 2·Hkv)·D] with key, value omitted
 *   k, v [B,Hkv,Sk,D]         past_key/past_value [B, Hkv, buffer, D] = the first P = Sk - Sq keys
 *                             (a buffer of P slots, or more with NaN past P: drawn), key, value
 *                             [B, Sq, Hkv·D] = the last Sq; kv_num_heads; past omitted when P = 0 (drawn)
 *   Sk                        seqlens_k = Sk - 1 per row, total_sequence_length = Sk
 *   D, Dv                     head_size must be a multiple of 8 and the same for V on CPU: q, k, v
 *                             are zero-padded to the next multiple of 8 (the scale given explicitly)
 *                             and Y cut back to Dv; D = Dv a multiple of 8 runs as is
 *   scale                     scale (omitted when it is 1/sqrt(D) in float32 and D is not padded)
 *   causal 'bottom-right'     the op's own; 'top-left' (Sq < Sk) and what the op cannot see as
 *                             causal go into attention_bias as -inf
 *   window [left, right]      local_window_size = left + 1 (keys diag - left .. diag: the meaning  drawn
 *                             since #25927), or attention_bias
 *   keyLengths, mask          attention_bias [B|1, Hq|1, Sq, Sk] (0 / -inf)
 *   ALiBi, bias               attention_bias terms (float32 only for ALiBi, as attention.ts)
 *   softcap                   softcap
 *   sinks                     head_sink [Hq]
 *   declined                  Sq > Sk (the new tokens end the row), B > 1 with Sq > 1 and a past (the
 *                             CPU kernel's limit), causal 'none' with Sq > 1 unless a
 *                             window ends at the diagonal (the op is always causal), dropout, bfloat16
 *                             (no CPU kernel), a cache in pages (decode)
 */
import type { HostAttentionCall, SupportQuery } from '../../src/contract/index.js';
import { type FormOptions, type Forms, formsOf } from './forms.js';
import { avoids, KNOWN_ISSUES } from './known.js';
import { additive, type Fold, scoreTerms, visibility } from './masks.js';
import type { AttrValue, OnnxDtype } from './onnxModel.js';
import { dtypeOf, type OpPlan, PlanBuilder, padFeatures } from './plan.js';
import { bhsdToBsh, type OrtArray } from './tensors.js';

export const common = (o: { readonly precision: string }) =>
  o.precision === 'bfloat16' ? 'onnxruntime 1.30 has no CPU kernel for GroupQueryAttention in bfloat16' : null;

export function gqaSupports(
  q: SupportQuery,
  s: { readonly B: number; readonly Sq: number; readonly Sk: number },
  fo: FormOptions = {},
): true | string {
  const no = common(q);
  if (no !== null) return no;
  if (q.dropout != null && q.dropout.p > 0) return 'GroupQueryAttention has no dropout (an inference op)';
  if (s.Sq > s.Sk) return 'GroupQueryAttention appends the Sq new keys to the past: it needs Sk >= Sq';
  if (s.B > 1 && s.Sq > 1 && s.Sk > s.Sq)
    return 'GroupQueryAttention (CPU) needs batch_size 1 when sequence_length > 1 and past context is given';
  const nanRow = q.softcap != null || s.Sk === 1 || q.precision === 'float16';
  if (q.emptyRows && nanRow && avoids(fo, 'gqa-empty-row-nan'))
    return `known upstream issue: ${KNOWN_ISSUES['gqa-empty-row-nan']} (docs/findings/onnxruntime-1.30.md)`;
  if (q.causal === 'none' && s.Sq > 1 && !(q.window !== null && q.window[1] === 0))
    return 'GroupQueryAttention is always causal (bottom-right): a non-causal case with Sq > 1 sees past the diagonal';
  if (q.alibiSlopes != null && q.precision === 'float16')
    return 'ALiBi goes into attention_bias, which is float16 in a float16 model: the term would be rounded';
  return true;
}

/** The op's head size: D when D = Dv is a multiple of 8, else the next multiple of 8 of both. */
export const gqaHeadSize = (D: number, Dv: number): number =>
  D === Dv && D % 8 === 0 ? D : 8 * Math.ceil(Math.max(D, Dv) / 8);

/** What the two plans share: q, k, v in, per-row past and new keys, the attributes. */
export interface GqaCall {
  readonly B: number;
  readonly Hq: number;
  readonly Hkv: number;
  readonly Sq: number;
  readonly Dp: number;
  readonly dtype: OnnxDtype;
  /** q [B, Hq, Sq, Dp]; the new keys/values [B, Hkv, Sq, Dp]; the past [B, Hkv, buffer, Dp]. */
  readonly q: Float32Array;
  readonly kNew: Float32Array;
  readonly vNew: Float32Array;
  readonly past: { readonly k: Float32Array; readonly v: Float32Array; readonly buffer: number } | null;
  readonly seqlensK: Int32Array;
  readonly total: number;
}

/** The model and feeds of a GqaCall; `bias` and `sinks` when the call has them. */
export function build(
  c: GqaCall,
  f: Forms,
  attrs: Record<string, AttrValue>,
  bias: OrtArray | null,
  sinks: OrtArray | null,
) {
  const { B, Hq, Hkv, Sq, Dp, dtype } = c;
  const packed = f.flag('packed QKV');
  const q = bhsdToBsh(c.q, B, Hq, Sq, Dp);
  const k = bhsdToBsh(c.kNew, B, Hkv, Sq, Dp);
  const v = bhsdToBsh(c.vNew, B, Hkv, Sq, Dp);
  const W = (Hq + 2 * Hkv) * Dp;
  let query: OrtArray = { dtype, dims: [B, Sq, Hq * Dp], data: q };
  if (packed) {
    const data = new Float32Array(B * Sq * W);
    for (let r = 0; r < B * Sq; r++) {
      data.set(q.subarray(r * Hq * Dp, (r + 1) * Hq * Dp), r * W);
      data.set(k.subarray(r * Hkv * Dp, (r + 1) * Hkv * Dp), r * W + Hq * Dp);
      data.set(v.subarray(r * Hkv * Dp, (r + 1) * Hkv * Dp), r * W + (Hq + Hkv) * Dp);
    }
    query = { dtype, dims: [B, Sq, W], data };
  }
  const omitPast = c.past === null && f.flag('empty past omitted');
  const pastOf = (x: Float32Array | undefined): OrtArray | null =>
    omitPast ? null : { dtype, dims: [B, Hkv, c.past?.buffer ?? 0, Dp], data: x ?? new Float32Array(0) };
  const p = new PlanBuilder()
    .input('query', query)
    .input('key', packed ? null : { dtype, dims: [B, Sq, Hkv * Dp], data: k })
    .input('value', packed ? null : { dtype, dims: [B, Sq, Hkv * Dp], data: v })
    .input('past_key', pastOf(c.past?.k))
    .input('past_value', pastOf(c.past?.v))
    .input('seqlens_k', { dtype: 'int32', dims: [B], data: c.seqlensK })
    .input('total_sequence_length', { dtype: 'int32', dims: [], data: Int32Array.of(c.total) })
    .input('cos_cache', null)
    .input('sin_cache', null)
    .input('position_ids', null)
    .input('attention_bias', bias)
    .input('head_sink', sinks);
  p.output('output', dtype, 3).output('present_key', dtype, 4).output('present_value', dtype, 4);
  const base = { num_heads: { int: Hq }, kv_num_heads: { int: Hkv } };
  const spec = {
    opType: 'GroupQueryAttention',
    domain: 'com.microsoft' as const,
    opset: 23,
    inputs: p.inputs,
    outputs: p.outputs,
    attributes: { ...base, ...attrs },
  };
  return { spec, feeds: p.feeds };
}

/** Keys [from, from + n) of each (b, h) row of x [B·H, S, F] into a [B·H, cap, Fp] buffer, `fill` elsewhere. */
export function gather(
  x: Float32Array,
  rows: number,
  S: number,
  F: number,
  Fp: number,
  from: (r: number) => number,
  n: (r: number) => number,
  cap: number,
  fill = 0,
) {
  const out = new Float32Array(rows * cap * Fp).fill(fill);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < n(r); j++) {
      const at = (r * S + from(r) + j) * F;
      out.set(x.subarray(at, at + F), (r * cap + j) * Fp);
      if (fill !== 0) out.fill(0, (r * cap + j) * Fp + F, (r * cap + j + 1) * Fp);
    }
  return out;
}

/** Each row's first past(r) keys and values in a buffer of `buffer` slots, NaN in the slots past them. */
export function pastBuffer(
  k: Float32Array,
  v: Float32Array,
  rows: number,
  S: number,
  D: number,
  Dv: number,
  Dp: number,
  past: (r: number) => number,
  buffer: number,
) {
  return {
    k: gather(k, rows, S, D, Dp, () => 0, past, buffer, NaN),
    v: gather(v, rows, S, Dv, Dp, () => 0, past, buffer, NaN),
    buffer,
  };
}

/** scale, softcap, and the scale's form: omitted only when the op's default (1/sqrt(head size)) is it. */
export function scoreAttrs(f: Forms, scale: number, D: number, Dp: number, softcap: number | null | undefined) {
  const attrs: Record<string, AttrValue> = {};
  if (Dp !== D || Math.fround(scale) !== Math.fround(1 / Math.sqrt(D)) || f.flag('scale given'))
    attrs.scale = { float: scale };
  if (softcap != null) attrs.softcap = { float: softcap };
  return attrs;
}

/** The plan of one attention call (see the header for the forms drawn). */
export function gqaPlan(call: HostAttentionCall, fo: FormOptions = {}): OpPlan {
  const o = call.options;
  const [B, Hq, Sq, D] = call.q.shape as [number, number, number, number];
  const [, Hkv, Sk, Dv] = call.v.shape as [number, number, number, number];
  const Dp = gqaHeadSize(D, Dv);
  const f = formsOf(call.q.data, fo);
  const dtype = dtypeOf(o.precision);
  const P = Sk - Sq;
  const rows = B * Hkv;
  const buffer = P > 0 && f.flag('past buffer longer than the past') ? P + 1 + (Sq >> 1) : P;
  const nativeWindow =
    o.window !== null &&
    o.window[0] >= 0 &&
    f.pick('window', ['attention_bias', 'local_window_size']) !== 'attention_bias';
  const fold: Fold = { causal: o.causal === 'top-left', window: !nativeWindow, keyLengths: true, mask: true };
  const sizes = { B, Hq, Sq, Sk };
  const vis = visibility(o, sizes, fold);
  const terms = scoreTerms(o, sizes);
  const zero = vis === null && terms === null && f.flag('attention_bias of zeros');
  const grid = vis !== null || terms !== null ? additive(vis, terms, sizes) : zero ? additive(null, null, sizes) : null;
  const attrs = scoreAttrs(f, o.scale, D, Dp, o.softcap);
  if (nativeWindow) attrs.local_window_size = { int: o.window![0] + 1 };
  const c: GqaCall = {
    B,
    Hq,
    Hkv,
    Sq,
    Dp,
    dtype,
    q: padFeatures(call.q.data, B * Hq * Sq, D, Dp),
    kNew: gather(
      call.k.data,
      rows,
      Sk,
      D,
      Dp,
      () => P,
      () => Sq,
      Sq,
    ),
    vNew: gather(
      call.v.data,
      rows,
      Sk,
      Dv,
      Dp,
      () => P,
      () => Sq,
      Sq,
    ),
    past: P > 0 ? pastBuffer(call.k.data, call.v.data, rows, Sk, D, Dv, Dp, () => P, buffer) : null,
    seqlensK: new Int32Array(B).fill(Sk - 1),
    total: Sk,
  };
  const bias = grid === null ? null : { dtype, dims: grid.shape, data: grid.data };
  const sinks = o.sinks == null ? null : { dtype, dims: [Hq], data: Float32Array.from(o.sinks.data) };
  const { spec, feeds } = build(c, f, attrs, bias, sinks);
  return { spec, feeds, output: { name: 'output', layout: 'BSH', B, H: Hq, S: Sq, F: Dp, Dv }, forms: f };
}
