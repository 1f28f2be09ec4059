/**
 * `ort:mha`: com.microsoft `MultiHeadAttention`, CPU kernel of onnxruntime 1.30.
 *
 *   contract                  MultiHeadAttention input / attribute              when
 *   q [B,H,Sq,D]              query [B, Sq, H·D], num_heads = H
 *   k, v [B,H,Sk,D|Dv]        key, value [B, Sk, H·D|H·Dv] or [B, H, Sk, D|Dv]   drawn (rank; 4-D without a past)
 *                             (BNSH); or past_key/past_value [B, H, P, D] + the
 *                             rest as key, value (4-D and a past need Dv = D)
 *   scale                     scale (omitted when it is 1/sqrt(D) in float32)   drawn
 *   causal                    unidirectional = 1 where it means the contract's  drawn
 *                             (Sq = Sk; bottom-right with past = Sk - Sq; top-left
 *                             without a past when Sk < Sq), else in the mask
 *   keyLengths, window, mask  key_padding_mask int32: (B) lengths (right padding drawn, by what the
 *                             only), (B, T) per key, (B, S, T) per query; or    restrictions vary over
 *                             attention_bias (0 / -inf), any restriction        and what is drawn)
 *   mask_filter_value         the default -10000 when no logit can reach 4900 in drawn
 *                             magnitude, else float32's (float16's) lowest: a
 *                             finite value is the op's masking, so a masked key
 *                             would otherwise take weight from a large logit; in
 *                             float16 a logit past 30000 gets attention_bias only
 *   ALiBi, bias               attention_bias [B|1, H|1, Sq, Sk] (float32 only for ALiBi, as attention.ts)
 *   bias (projection)         zeros [H·D + H·D + H·Dv], given or omitted        drawn
 *   present_key/value         requested or not                                  drawn
 *   declined                  Hq != Hkv (one num_heads), softcap (no attribute), sinks, dropout,
 *                             bfloat16 (no CPU kernel), a row with no visible key: the op gives
 *                             the softmax of s + mask_filter_value there (about the mean of V) with
 *                             key_padding_mask and NaN with an all -inf attention_bias; the contract 0
 */
import type { HostAttentionCall, SupportQuery } from '../../src/contract/index.js';
import { type FormOptions, formsOf } from './forms.js';
import { additive, type Fold, type Grid, scoreTerms, visibility } from './masks.js';
import type { AttrValue } from './onnxModel.js';
import { dtypeOf, laidOut, type OpPlan, PlanBuilder } from './plan.js';
import { sliceKeys } from './tensors.js';

export function mhaSupports(q: SupportQuery, s: { readonly Hq: number; readonly Hkv: number }): true | string {
  if (s.Hq !== s.Hkv) return 'MultiHeadAttention has one num_heads: Hq = Hkv only (no GQA)';
  if (q.dropout != null && q.dropout.p > 0) return 'MultiHeadAttention has no dropout (an inference op)';
  if (q.precision === 'bfloat16') return 'onnxruntime 1.30 has no CPU kernel for MultiHeadAttention in bfloat16';
  if (q.softcap != null) return 'MultiHeadAttention has no softcap attribute';
  if (q.sinks != null) return 'MultiHeadAttention has no sinks input';
  if (q.alibiSlopes != null && q.precision === 'float16')
    return 'ALiBi goes into attention_bias, which is float16 in a float16 model: the term would be rounded';
  if (q.emptyRows)
    return (
      'a row with no visible key: MultiHeadAttention masks with a finite mask_filter_value (the row gets ' +
      'about the mean of V) or gives NaN for an all -inf attention_bias; the contract gives 0'
    );
  return true;
}

/** The largest |logit + terms| the call can reach: ‖q_i‖·‖k_j‖·|scale| + max |terms| (a bound). */
function logitBound(call: HostAttentionCall, D: number, terms: Grid<Float64Array> | null): number {
  const norm = (x: Float32Array) => {
    let m = 0;
    for (let r = 0; r < x.length / D; r++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += x[r * D + d]! ** 2;
      m = Math.max(m, Math.sqrt(s));
    }
    return m;
  };
  let t = 0;
  if (terms !== null) for (const x of terms.data) t = Math.max(t, Math.abs(x));
  return norm(call.q.data) * norm(call.k.data) * Math.abs(call.options.scale) + t;
}

/** The key_padding_mask forms the folded restrictions allow: what they vary over decides. */
function paddingForms(call: HostAttentionCall, fold: Fold, P: number, finiteMaskOk: boolean) {
  const o = call.options;
  if (!finiteMaskOk) return ['attention_bias'] as const;
  const perHead = o.mask !== null && o.mask.shape[1]! > 1;
  const perQuery = (fold.causal && o.causal !== 'none') || o.window !== null || o.mask !== null;
  const forms: ('attention_bias' | '3D' | '2D' | '1D')[] = ['attention_bias'];
  if (!perHead) forms.push('3D');
  if (!perHead && !perQuery) forms.push('2D');
  if (!perQuery && o.keyLengths !== null && o.paddingSide === 'right' && P === 0) forms.push('1D');
  return forms;
}

function kpmData(form: '1D' | '2D' | '3D', vis: Grid<Uint8Array>, call: HostAttentionCall, B: number) {
  const [, , Sq, Sk] = vis.shape;
  if (form === '1D') return { dims: [B], data: Int32Array.from(call.options.keyLengths!) };
  const rows = form === '2D' ? 1 : Sq;
  const data = new Int32Array(B * rows * Sk);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < Sk; j++)
        data[(b * rows + i) * Sk + j] = vis.data[((vis.shape[0] === 1 ? 0 : b) * Sq + i) * Sk + j]!;
  return { dims: form === '2D' ? [B, Sk] : [B, Sq, Sk], data };
}

/** The plan of one call (see the header for the forms drawn). */
export function mhaPlan(call: HostAttentionCall, fo: FormOptions = {}): OpPlan {
  const o = call.options;
  const [B, H, Sq, D] = call.q.shape as [number, number, number, number];
  const [, , Sk, Dv] = call.v.shape as [number, number, number, number];
  const sizes = { B, Hq: H, Sq, Sk };
  const f = formsOf(call.q.data, fo);
  const dtype = dtypeOf(o.precision);
  // top-left with Sk > Sq is what unidirectional means without a past, but the CPU kernel lets the last row
  // see every key there (known.ts); Sk < Sq is top-left as it should be.
  const crossOk = o.causal === 'top-left' && (Sk < Sq || !f.avoids('mha-unidirectional-cross'));
  const nativeOk =
    (Sq === Sk && o.causal !== 'none') || (o.causal === 'bottom-right' && Sk > Sq && Dv === D) || crossOk;
  const causalForm = o.causal === 'none' ? 'none' : f.pick('causal', nativeOk ? ['mask', 'unidirectional'] : ['mask']);
  let P = 0;
  if (causalForm === 'unidirectional') P = o.causal === 'top-left' ? 0 : Sk - Sq;
  else if (Sk >= 2 && Dv === D && f.flag('past')) P = Sk >> 1;
  const fold: Fold = { causal: causalForm === 'mask', window: true, keyLengths: true, mask: true };
  const vis = visibility(o, sizes, fold);
  const terms = scoreTerms(o, sizes);
  // A finite mask_filter_value masks only keys whose logit it can outweigh: float32's lowest any finite logit,
  // float16's -65504 only logits well inside float16's range (else the key's weight is not 0: a contract
  // difference, the op's documented masking).
  const bound = logitBound(call, D, terms);
  const finiteMaskOk = dtype === 'float32' || bound < 30000;
  const kpm = vis === null ? null : f.pick('mask', paddingForms(call, fold, P, finiteMaskOk));
  const biasGrid =
    kpm === 'attention_bias' ? additive(vis, terms, sizes) : terms === null ? null : additive(null, terms, sizes);
  const attrs: Record<string, AttrValue> = { num_heads: { int: H } };
  if (causalForm === 'unidirectional') attrs.unidirectional = { int: 1 };
  else if (f.flag('unidirectional = 0 given')) attrs.unidirectional = { int: 0 };
  if (Math.fround(o.scale) !== Math.fround(1 / Math.sqrt(D)) || f.flag('scale given')) attrs.scale = { float: o.scale };
  if (kpm !== null && kpm !== 'attention_bias') {
    const safe = bound < 4900;
    if (!safe || f.pick('mask_filter_value', ['default', 'lowest'] as const) === 'lowest')
      attrs.mask_filter_value = { float: dtype === 'float16' ? -65504 : -3.4028234663852886e38 };
  }
  const kvRank = P === 0 && Dv === D ? f.pick('key/value rank', ['3D', '4D'] as const) : '3D';
  const kvLayout = kvRank === '3D' ? 'BSH' : 'BHSD';
  const projBias = kvRank === '3D' && f.flag('projection bias (zeros)');
  const rows = B * H;
  const p = new PlanBuilder()
    .input('query', laidOut(call.q.data, [B, H, Sq, D], 'BSH', dtype))
    .input('key', laidOut(sliceKeys(call.k.data, rows, Sk, D, P, Sk - P), [B, H, Sk - P, D], kvLayout, dtype))
    .input('value', laidOut(sliceKeys(call.v.data, rows, Sk, Dv, P, Sk - P), [B, H, Sk - P, Dv], kvLayout, dtype))
    .input('bias', projBias ? { dtype, dims: [H * (2 * D + Dv)], data: new Float32Array(H * (2 * D + Dv)) } : null)
    .input(
      'key_padding_mask',
      kpm !== null && kpm !== 'attention_bias' ? { dtype: 'int32', ...kpmData(kpm, vis!, call, B) } : null,
    )
    .input('attention_bias', biasGrid === null ? null : { dtype, dims: biasGrid.shape, data: biasGrid.data })
    .input('past_key', P > 0 ? { dtype, dims: [B, H, P, D], data: sliceKeys(call.k.data, rows, Sk, D, 0, P) } : null)
    .input(
      'past_value',
      P > 0 ? { dtype, dims: [B, H, P, Dv], data: sliceKeys(call.v.data, rows, Sk, Dv, 0, P) } : null,
    );
  // docs/findings: without present outputs the CPU kernel ignores the past (known.ts).
  const present = (P > 0 && f.avoids('mha-past-without-present')) || f.flag('present_key/value');
  p.output('output', dtype, 3).output('present_key', dtype, 4, present).output('present_value', dtype, 4, present);
  const spec = {
    opType: 'MultiHeadAttention',
    domain: 'com.microsoft' as const,
    opset: 23,
    inputs: p.inputs,
    outputs: p.outputs,
    attributes: attrs,
  };
  return { spec, feeds: p.feeds, output: { name: 'output', layout: 'BSH', B, H, S: Sq, F: Dv, Dv }, forms: f };
}
