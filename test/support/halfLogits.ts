/**
 * The contract difference of ONNX Attention in float16 (docs/findings/onnxruntime-1.30.md): the op
 * computes Q·Kᵀ + attn_mask in T1 = float16 (the spec's function body: MatMul and Add in T1, then the
 * Cast to softmax_precision), so the softmax's input scale·q·k + mask is rounded to float16, where
 * the contract keeps logits in float32 (and a logit past 65504 overflows: the row is NaN); with
 * softcap, S itself is stored in float16 before the cap. This is the
 * contract's formula with that one extra rounding (and P and out rounded to float16, as the
 * contract's float16 baseline rounds them): a float16 mismatch of ort:attention that this explains is
 * the documented difference, not a new bug. Measured on onnxruntime-node 1.30 CPU: bit-exact on the
 * cases the campaign flagged.
 */
import {
  alibiTerm,
  biasTerm,
  defaultOptions,
  type HostTensor,
  logicalKv,
  roundTo,
  sinkOf,
  softcapped,
  visible,
} from '../../src/contract/index.js';
import type { MaterialisedAttention, MaterialisedDecode } from '../../src/data/index.js';

const h = (x: number) => roundTo('float16', x);

/**
 * `storesS`: the op keeps S = scale·q·k in float16 before adding the mask, as it does when qk_matmul_output
 * is requested in mode 0 or 1; with softcap it keeps S and softcap(S) in float16; otherwise S + mask is
 * rounded once (each measured bit-exact on onnxruntime-node 1.30 CPU).
 */
export function outWithHalfLogits(m: MaterialisedAttention, storesS = false): HostTensor {
  const { B, Hq, Hkv, Sq, Sk, D, Dv } = m.shapes;
  const o = m.options;
  const [q, k, v] = [m.inputs.q.data, m.inputs.k.data, m.inputs.v.data];
  const out = new Float64Array(B * Hq * Sq * Dv);
  for (let b = 0; b < B; b++)
    for (let hq = 0; hq < Hq; hq++)
      for (let i = 0; i < Sq; i++) {
        const g = Math.floor(hq / (Hq / Hkv));
        const s = new Float64Array(Sk).fill(-Infinity);
        for (let j = 0; j < Sk; j++) {
          if (!visible(o, m.shapes, b, hq, i, j)) continue;
          let dot = 0;
          for (let d = 0; d < D; d++)
            dot += q[((b * Hq + hq) * Sq + i) * D + d]! * k[((b * Hkv + g) * Sk + j) * D + d]!;
          // Each stage the op stores is a float16 tensor: S (softcap or a requested S), then softcap(S).
          const S = storesS || o.softcap != null ? h(o.scale * dot) : o.scale * dot;
          const capped = o.softcap == null ? S : h(softcapped(S, o.softcap));
          s[j] = h(capped + alibiTerm(o.alibiSlopes, b, hq, i, j, Sq, Sk) + biasTerm(o.bias, b, hq, i, j));
        }
        if (s.some((x, j) => !Number.isFinite(x) && visible(o, m.shapes, b, hq, i, j))) {
          out.fill(NaN, ((b * Hq + hq) * Sq + i) * Dv, ((b * Hq + hq) * Sq + i + 1) * Dv);
          continue;
        }
        const max = Math.max(...s, sinkOf(o.sinks, hq));
        if (max === -Infinity) continue;
        let l = Math.exp(sinkOf(o.sinks, hq) - max);
        for (let j = 0; j < Sk; j++) l += Math.exp(s[j]! - max);
        for (let d = 0; d < Dv; d++) {
          let acc = 0;
          for (let j = 0; j < Sk; j++) acc += h(Math.exp(s[j]! - max) / l) * v[((b * Hkv + g) * Sk + j) * Dv + d]!;
          out[((b * Hq + hq) * Sq + i) * Dv + d] = h(acc);
        }
      }
  return { shape: [B, Hq, Sq, Dv], data: out };
}

/** Row b of a decode material as an attention material (B = 1, its cacheSeqlens[b] keys, bottom-right causal). */
export function decodeRowAsAttention(m: MaterialisedDecode, b: number): MaterialisedAttention {
  const [, Hq, Sq, D] = m.q.shape as [number, number, number, number];
  const len = m.cacheSeqlens[b]!;
  const { k, v } = logicalKv(m.cache, b, len);
  const Hkv = k.shape[1]!;
  const Dv = v.shape[3]!;
  const q = { shape: [1, Hq, Sq, D], data: m.q.data.slice(b * Hq * Sq * D, (b + 1) * Hq * Sq * D) };
  const options = {
    ...defaultOptions({ D }),
    scale: m.options.scale,
    causal: m.options.causal ? ('bottom-right' as const) : ('none' as const),
    precision: m.options.precision,
  };
  const shapes = { B: 1, Hq, Hkv, Sq, Sk: len, D, Dv };
  const dOut = { shape: [1, Hq, Sq, Dv], data: new Float64Array(Hq * Sq * Dv) };
  return { shapes, options, inputs: { q, k, v, dOut } };
}

/** out of a decode material with half logits, row by row. */
export function decodeOutWithHalfLogits(m: MaterialisedDecode): HostTensor {
  const [B, Hq, Sq] = m.q.shape as [number, number, number, number];
  const rows = m.cacheSeqlens.map((_, b) => outWithHalfLogits(decodeRowAsAttention(m, b)));
  const Dv = rows[0]!.shape[3]!;
  const data = new Float64Array(B * Hq * Sq * Dv);
  for (const [b, r] of rows.entries()) data.set(r.data, b * Hq * Sq * Dv);
  return { shape: [B, Hq, Sq, Dv], data };
}
