/**
 * Attention in plain JavaScript as a worker (docs/PROTOCOL.md): attnfuzz's contract in float64 loops,
 * forward and backward, no attnfuzz import. correct.mjs serves it as it is; forgot-is-causal.mjs with
 * the seed bug (adapter-hub/adapters#721: no mask passed, so causal is dropped too).
 *
 *   q [B, Hq, Sq, D], k [B, Hkv, Sk, D], v [B, Hkv, Sk, Dv] -> out [B, Hq, Sq, Dv], lse [B, Hq, Sq]
 *   query head h reads kv head floor(h / (Hq / Hkv))
 *
 *   s_ij = scale q_i.k_j over the visible keys (causal, window, key lengths, mask: types.ts's diagram)
 *   p_ij = exp(s_ij - lse_i), dropped by the harness's keep mask and scaled by 1 / (1 - p)
 *   out_i = sum_j p_ij v_j; a row that sees no key gives 0 and lse -inf
 *
 * Gradients of sum(out * dOut): dv_j += p_ij dOut_i; dp_ij = dOut_i.v_j; ds_ij = P_ij (dp_ij - sum_j P_ij dp_ij)
 * with P the weights before dropout and dp taken through it; dq_i += scale ds_ij k_j; dk_j += scale ds_ij q_i.
 */
import { Declined, serve } from './protocol.mjs';

/** Key j visible to query i of (b, h)? */
function visibleFn(o, mask, shapes) {
  const { Sq, Sk } = shapes;
  return (b, h, i, j) => {
    const diag = i + Sk - Sq;
    if (o.causal === 'top-left' && j > i) return false;
    if (o.causal === 'bottom-right' && j > diag) return false;
    if (o.window !== null) {
      const [left, right] = o.window;
      if (left >= 0 && j < diag - left) return false;
      if (right >= 0 && j > diag + right) return false;
    }
    if (o.keyLengths !== null) {
      const len = o.keyLengths[b];
      if (o.paddingSide === 'right' ? j >= len : j < Sk - len) return false;
    }
    if (mask === undefined) return true;
    const [mB, mH] = mask.shape;
    return mask.data[(((mB === 1 ? 0 : b) * mH + (mH === 1 ? 0 : h)) * Sq + i) * Sk + j] !== 0;
  };
}

/** Forward and, given dOut, backward of one call; returns the result buffers. */
export function attention(o, t) {
  const [B, Hq, Sq, D] = t.q.shape;
  const [, Hkv, Sk] = t.k.shape;
  const Dv = t.v.shape[3];
  const shapes = { B, Hq, Hkv, Sq, Sk, D, Dv };
  const visible = visibleFn(o, t.mask, shapes);
  const p = o.dropout?.p ?? 0;
  const kept = (b, h, i, j) => (p > 0 ? t.keep.data[((b * Hq + h) * Sq + i) * Sk + j] !== 0 : true);
  const [q, k, v, dOut] = [t.q.data, t.k.data, t.v.data, t.dOut?.data];
  const out = new Float32Array(B * Hq * Sq * Dv);
  const lse = new Float32Array(B * Hq * Sq);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  const group = Hq / Hkv;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++) {
      const g = Math.floor(h / group);
      const qAt = (i) => ((b * Hq + h) * Sq + i) * D;
      const kAt = (j) => ((b * Hkv + g) * Sk + j) * D;
      const vAt = (j) => ((b * Hkv + g) * Sk + j) * Dv;
      for (let i = 0; i < Sq; i++) {
        const s = new Float64Array(Sk).fill(-Infinity);
        for (let j = 0; j < Sk; j++) {
          if (!visible(b, h, i, j)) continue;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qAt(i) + d] * k[kAt(j) + d];
          s[j] = o.scale * dot;
        }
        const m = Math.max(...s);
        const row = (b * Hq + h) * Sq + i;
        if (m === -Infinity) {
          lse[row] = -Infinity; // no visible key: out 0, no gradient
          continue;
        }
        let l = 0;
        for (let j = 0; j < Sk; j++) l += Math.exp(s[j] - m);
        lse[row] = m + Math.log(l);
        const P = Array.from(s, (x) => Math.exp(x - m) / l);
        const drop = (j) => (kept(b, h, i, j) ? 1 / (1 - p) : 0);
        for (let d = 0; d < Dv; d++) {
          let acc = 0;
          for (let j = 0; j < Sk; j++) acc += P[j] * drop(j) * v[vAt(j) + d];
          out[row * Dv + d] = acc;
        }
        if (dOut === undefined) continue;
        const dP = new Float64Array(Sk);
        for (let j = 0; j < Sk; j++) {
          if (P[j] === 0) continue;
          let dot = 0;
          for (let d = 0; d < Dv; d++) {
            dot += dOut[row * Dv + d] * v[vAt(j) + d];
            dv[vAt(j) + d] += P[j] * drop(j) * dOut[row * Dv + d];
          }
          dP[j] = dot * drop(j);
        }
        let sum = 0;
        for (let j = 0; j < Sk; j++) sum += P[j] * dP[j];
        for (let j = 0; j < Sk; j++) {
          const dS = P[j] * (dP[j] - sum) * o.scale;
          if (dS === 0) continue;
          for (let d = 0; d < D; d++) {
            dq[qAt(i) + d] += dS * k[kAt(j) + d];
            dk[kAt(j) + d] += dS * q[qAt(i) + d];
          }
        }
      }
    }
  const f32 = (name, shape, data) => ({ name, dtype: 'float32', shape, data: Float32Array.from(data) });
  const result = [f32('out', [B, Hq, Sq, Dv], out), f32('lse', [B, Hq, Sq], lse)];
  if (dOut === undefined) return result;
  return [...result, f32('dq', t.q.shape, dq), f32('dk', t.k.shape, dk), f32('dv', t.v.shape, dv)];
}

/** Serves attention as worker `name`; `transform` may rewrite a call's options first (a bug, for the example). */
export function main(name, transform = (o) => o) {
  serve(
    { name, suites: ['attention'], features: {}, backward: true, precisions: ['float32', 'bfloat16', 'float16'] },
    (header, buffers) => {
      if (header.suite !== 'attention') throw new Declined(`suite ${header.suite}: only attention here`);
      return attention(transform(header.options, buffers), buffers);
    },
  );
}
