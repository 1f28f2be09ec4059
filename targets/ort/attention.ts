/**
 * `ort:attention`: the ONNX `Attention` op (opsets 23 and 24), CPU kernel of onnxruntime 1.30.
 *
 *   contract                  Attention input / attribute                       when
 *   q [B,Hq,Sq,D]             Q, 4-D as is, or 3-D [B,Sq,Hq·D] + q_num_heads    drawn (rank)
 *   k, v [B,Hkv,Sk,D|Dv]      K, V (GQA by 4-D head counts), or past_key/       drawn (past: the first P keys in
 *                             past_value + K, V for the rest                    the cache, the rest new)
 *   scale                     scale (omitted when it is 1/sqrt(D) in float32)   drawn
 *   causal 'top-left'         is_causal = 1 without a past cache, or the mask   drawn
 *   causal 'bottom-right'     is_causal = 1 with past = Sk - Sq keys (the spec's drawn (Sk >= Sq)
 *                             offset is past_sequence_length), or the mask
 *   window                    the mask (no window before opset 25)
 *   keyLengths (right)        nonpad_kv_seqlen (opset 24, no past, no           drawn
 *                             is_causal: its offset is nonpad - Sq), or the mask
 *   keyLengths (left), mask   attn_mask: bool, or float (0 / -inf); rank 4, or  drawn
 *                             3 / 2 when it broadcasts; the last dim cut short
 *                             when the keys past it are all masked (the spec pads it)
 *   softcap                   softcap (the spec applies it before the mask, as the contract)
 *   ALiBi, bias               float attn_mask (terms + -inf where masked); float32 only (float16
 *                             would round the ALiBi term, which the contract does not)
 *   optional outputs          present_key/value (required with a past), qk_matmul_output
 *                             (any qk_matmul_output_mode): requested or not, drawn
 *   float16                   every input and Y in float16; softmax_precision omitted or float, drawn
 *   declined                  sinks (no such input), dropout (inference op), bfloat16 (no CPU kernel:
 *                             the function body's Expand has none), a cache in pages (decode)
 *
 * Decode (contiguous cache [B, Hkv, Smax, D], row b holding cacheSeqlens[b] keys): the slots past a
 * row's length are zeroed first (the op reads every slot it is given: NaN there reaches Y, as in the
 * spec's own reference), then either K, V = the cache with nonpad_kv_seqlen = cacheSeqlens and
 * is_causal (opset 24: the spec's offset nonpad - Sq is the contract's bottom-right within a row),
 * or past_key/past_value + K, V over the longest row with the rows' lengths and causal in attn_mask
 * (is_causal alone when every row has the same length).
 */
import type { HostAttentionCall, SupportQuery } from '../../src/contract/index.js';
import { type FormOptions, type Forms, formsOf } from './forms.js';
import { additive, cutKeys, type Fold, type Grid, scoreTerms, visibility, visibleWidth } from './masks.js';
import type { AttrValue, OnnxDtype } from './onnxModel.js';
import { dtypeOf, laidOut, type OpPlan, PlanBuilder } from './plan.js';
import { sliceKeys } from './tensors.js';

export type AttentionOpset = 23 | 24;

const common = (o: { readonly dropout?: { readonly p: number } | null; readonly precision: string }) =>
  o.dropout != null && o.dropout.p > 0
    ? 'Attention has no dropout (an inference op)'
    : o.precision === 'bfloat16'
      ? 'onnxruntime 1.30 has no CPU kernel for Attention in bfloat16 (the function body needs Expand(bfloat16))'
      : null;

/** What the Attention op cannot express (see the header). */
export function attentionSupports(opts: SupportQuery): true | string {
  const no = common(opts);
  if (no !== null) return no;
  if (opts.sinks != null) return 'Attention (opsets 23, 24) has no sinks input';
  if (opts.alibiSlopes != null && opts.precision === 'float16')
    return 'ALiBi goes into the float attn_mask, which is float16 in a float16 model: the term would be rounded';
  return true;
}

/** The mask input of a folded visibility (and score terms): bool or float, its rank, its width. */
function maskInput(
  f: Forms,
  opset: AttentionOpset,
  vis: Grid<Uint8Array> | null,
  terms: Grid<Float64Array> | null,
  sizes: { B: number; Hq: number; Sq: number; Sk: number },
  dtype: OnnxDtype,
) {
  if (vis === null && terms === null) return null;
  const kind = terms !== null ? 'float' : f.pick('mask', ['bool', 'float'] as const);
  let grid: Grid<Uint8Array | Float32Array> = kind === 'bool' ? vis! : additive(vis, terms, sizes);
  const width = vis === null ? sizes.Sk : visibleWidth(vis);
  if (opset >= 24 && !f.avoids('attention-short-mask') && width >= 1 && width < sizes.Sk && f.flag('mask cut'))
    grid = cutKeys(grid, width);
  const [gB, gH, gS, gK] = grid.shape;
  const ranks = gB === 1 ? (gH === 1 ? (['4', '3', '2'] as const) : (['4', '3'] as const)) : (['4'] as const);
  const rank = Number(f.pick('mask rank', ranks));
  const dims = rank === 4 ? [gB, gH, gS, gK] : rank === 3 ? [gH, gS, gK] : [gS, gK];
  return { dtype: kind === 'bool' ? ('bool' as const) : dtype, dims, data: grid.data };
}

/** The plan of one attention call (see the header for the forms drawn). */
export function attentionPlan(call: HostAttentionCall, opset: AttentionOpset, fo: FormOptions = {}): OpPlan {
  const o = call.options;
  const [B, Hq, Sq, D] = call.q.shape as [number, number, number, number];
  const [, Hkv, Sk, Dv] = call.v.shape as [number, number, number, number];
  const sizes = { B, Hq, Sq, Sk };
  const f = formsOf(call.q.data, fo);
  const dtype = dtypeOf(o.precision);
  const causalForm =
    o.causal === 'none' ? 'none' : f.pick('causal', Sk >= Sq ? (['mask', 'is_causal'] as const) : (['mask'] as const));
  let P = 0;
  if (causalForm === 'is_causal') P = o.causal === 'top-left' ? 0 : Sk - Sq;
  else if (Sk >= 2 && f.pick('past', ['none', 'split'] as const) === 'split') P = Sk >> 1;
  const nonpad =
    opset >= 24 && o.keyLengths !== null && o.paddingSide === 'right' && P === 0 && causalForm !== 'is_causal'
      ? f.pick('keyLengths', ['mask', 'nonpad_kv_seqlen'] as const) === 'nonpad_kv_seqlen'
      : false;
  const fold: Fold = { causal: causalForm === 'mask', window: true, keyLengths: !nonpad, mask: true };
  const mask = maskInput(f, opset, visibility(o, sizes, fold), scoreTerms(o, sizes), sizes, dtype);
  const layout = f.pick('rank', ['4D', '3D'] as const) === '4D' ? 'BHSD' : 'BSH';
  const attrs: Record<string, AttrValue> = {};
  if (causalForm === 'is_causal') attrs.is_causal = { int: 1 };
  if (layout === 'BSH') Object.assign(attrs, { q_num_heads: { int: Hq }, kv_num_heads: { int: Hkv } });
  if (Math.fround(o.scale) !== Math.fround(1 / Math.sqrt(D)) || f.flag('scale given')) attrs.scale = { float: o.scale };
  if (o.softcap != null) attrs.softcap = { float: o.softcap };
  if (dtype === 'float16' && f.flag('softmax_precision float')) attrs.softmax_precision = { int: 1 };
  const qk = f.flag('qk_matmul_output');
  if (qk) {
    const mode = f.pick('qk_matmul_output_mode', ['omitted', '0', '1', '2', '3'] as const);
    if (mode !== 'omitted') attrs.qk_matmul_output_mode = { int: Number(mode) };
  }
  const rows = B * Hkv;
  const p = new PlanBuilder()
    .input('Q', laidOut(call.q.data, [B, Hq, Sq, D], layout, dtype))
    .input('K', laidOut(sliceKeys(call.k.data, rows, Sk, D, P, Sk - P), [B, Hkv, Sk - P, D], layout, dtype))
    .input('V', laidOut(sliceKeys(call.v.data, rows, Sk, Dv, P, Sk - P), [B, Hkv, Sk - P, Dv], layout, dtype))
    .input('attn_mask', mask)
    .input('past_key', P > 0 ? { dtype, dims: [B, Hkv, P, D], data: sliceKeys(call.k.data, rows, Sk, D, 0, P) } : null)
    .input(
      'past_value',
      P > 0 ? { dtype, dims: [B, Hkv, P, Dv], data: sliceKeys(call.v.data, rows, Sk, Dv, 0, P) } : null,
    );
  if (nonpad)
    p.input('nonpad_kv_seqlen', { dtype: 'int64', dims: [B], data: BigInt64Array.from(o.keyLengths!, BigInt) });
  const present = P > 0 || f.flag('present_key/value');
  p.output('Y', dtype, layout === 'BHSD' ? 4 : 3)
    .output('present_key', dtype, 4, present)
    .output('present_value', dtype, 4, present)
    .output('qk_matmul_output', dtype, 4, qk);
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
