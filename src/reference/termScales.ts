/**
 * How large the terms are that each attention tensor sums, per element, from the float64
 * reference's own intermediates: the scale rounding errors are relative to (src/oracle/tolerance.ts).
 * A rounded weight P_ij (relative error u) moves O_i by Σ_j δP_ij V_j, a random-sign sum whose size
 * is u times the Euclidean norm of its terms, not u times |O_i| (which can cancel to ~0) nor u times a
 * product of maxima (which ignores how spread P is). So for each element the norm of its terms:
 *
 *   out[i,e]  ‖(Pdrop_ij · V_je)_j‖          dv[j,e]  ‖(Pdrop_ij · dO_ie)_i over the group's queries‖
 *   dq[i,d]   scale·‖(T_ij · K_jd)_j‖        dk[j,d]  scale·‖(T_ij · Q_id)_i over the group's queries‖
 *
 * with T_ij = P_ij·(|dP|_ij + Σ_j' P_ij' |dP|_ij') and |dP|_ij = Σ_e |dO_ie V_je|: the terms before
 * every cancellation. dS_ij = P_ij·dP_ij - P_ij·D_i cancels to ~0 when one key takes all the weight,
 * and dP_ij = dO_i·V_j and D_i = dO_i·O_i are dot products that cancel too, while float32 (and an
 * algorithm that takes D_i from the rounded output, FlashAttention-2's) still errs by u times their
 * terms. Seen: a single visible key (dq exactly 0) with flash's dq at 3.9e-8 from D_i ≠ dP_ij in
 * the last bits.
 *
 * and per tensor the largest over its elements; `logit` is the largest scale·Σ_d |Q_id K_jd| of a
 * visible key (the conditioning of softmax: float32 logits carry an absolute error of u times it).
 *
 * `mass` is, per tensor, the largest sum over an element's terms of |the factor a weight multiplies|
 * (out[i,e]: Σ_j |V_je|, dv[j,e]: Σ_i |dO_ie|, dq[i,d]: scale·Σ_j (|dP|_ij + D_i)·|K_jd|, dk alike):
 * where a weight underflows (float16's subnormals are 6e-8 apart) its rounding is absolute, not
 * relative, and moves the element by at most that spacing times this mass.
 *
 * With the score options: `logit` adds |ALiBi| + |bias| of the key (the softcap only shrinks
 * logits, so the raw product stays a bound) and counts |sink_h| as a logit of the row (it joins the
 * denominator, so lse and every P recomputed from it carry its rounding; seen: flash float32 dv
 * 1.03x over its allowance with sinks near 3 and logits near 0.05); dbias[e] sums T_ij over the
 * (b, h, i, j) its broadcast element gathers, dsinks[h] sums Psink_i·Σ_j P_ij |dP|_ij over (b, i);
 * their mass sums the factors
 * (|dP|_ij + Σ_j' P_ij' |dP|_ij', resp. Psink_i·Σ_j |dP|_ij + Σ_j P_ij |dP|_ij).
 */
import {
  type AttentionInputs,
  type AttentionOptions,
  type AttentionShapes,
  type AttentionTensorName,
  alibiTerm,
  attentionShapes,
  biasIndex,
  biasTerm,
} from '../contract/index.js';
import { softmaxRow } from './attention.js';

/** Term norms and masses of the score options' gradients, present when the options have them. */
export interface ScoreTermScales {
  readonly dbias?: number;
  readonly dsinks?: number;
}

export type TermScales = Record<AttentionTensorName, number> &
  ScoreTermScales & { readonly logit: number; readonly mass: Record<AttentionTensorName, number> & ScoreTermScales };

/**
 * What the loops accumulate: per element, the squared norm of its terms (`*2`) and its mass (`*M`);
 * dk and dv sum over every query of their kv group. `logit`: the largest visible logit so far.
 */
interface Sums {
  readonly out2: Float64Array;
  readonly dq2: Float64Array;
  readonly dk2: Float64Array;
  readonly dv2: Float64Array;
  readonly outM: Float64Array;
  readonly dqM: Float64Array;
  readonly dkM: Float64Array;
  readonly dvM: Float64Array;
  readonly dbias2: Float64Array | null;
  readonly dbiasM: Float64Array | null;
  readonly dsinks2: Float64Array | null;
  readonly dsinksM: Float64Array | null;
  logit: number;
}

function sumsFor(s: AttentionShapes, opts: AttentionOptions): Sums {
  const { B, Hq, Hkv, Sq, Sk, D, Dv } = s;
  const out2 = new Float64Array(B * Hq * Sq * Dv);
  const dq2 = new Float64Array(B * Hq * Sq * D);
  const dk2 = new Float64Array(B * Hkv * Sk * D);
  const dv2 = new Float64Array(B * Hkv * Sk * Dv);
  const dbias2 = opts.bias != null ? new Float64Array(opts.bias.data.length) : null;
  const dsinks2 = opts.sinks != null ? new Float64Array(Hq) : null;
  return {
    out2,
    dq2,
    dk2,
    dv2,
    outM: new Float64Array(out2.length),
    dqM: new Float64Array(dq2.length),
    dkM: new Float64Array(dk2.length),
    dvM: new Float64Array(dv2.length),
    dbias2,
    dbiasM: dbias2 !== null ? new Float64Array(dbias2.length) : null,
    dsinks2,
    dsinksM: dsinks2 !== null ? new Float64Array(Hq) : null,
    logit: 0,
  };
}

/** One query row (b, h, i): its softmax and where its q, out and k/v rows start. */
interface Row {
  readonly b: number;
  readonly h: number;
  readonly i: number;
  readonly kvh: number;
  readonly qRow: number;
  readonly oRow: number;
  readonly P: ArrayLike<number>;
  readonly dropScale: ArrayLike<number>;
}

/** The term norms of out, dq, dk, dv (max over elements) and the largest visible logit. */
export function attentionTermScales(inputs: AttentionInputs, opts: AttentionOptions): TermScales {
  const s = attentionShapes(inputs.q.shape, inputs.k.shape, inputs.v.shape, opts, 'termScales');
  const { B, Hq, Hkv, Sq, Sk, D, Dv } = s;
  const sums = sumsFor(s, opts);
  const dP = new Float64Array(Sk);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++)
      for (let i = 0; i < Sq; i++) {
        const { P, dropScale, lse, Psink } = softmaxRow(inputs, opts, s, b, h, i);
        if (lse === -Infinity) continue;
        // The sink is a logit of the row's denominator: lse, and so every P = exp(S - lse), carries its size.
        if (opts.sinks != null) sums.logit = Math.max(sums.logit, Math.abs(opts.sinks.data[h]!));
        const kvh = Math.floor(h / (Hq / Hkv));
        const qRow = ((b * Hq + h) * Sq + i) * D;
        const oRow = ((b * Hq + h) * Sq + i) * Dv;
        const row: Row = { b, h, i, kvh, qRow, oRow, P, dropScale };
        const rowsum = forwardTerms(sums, inputs, opts, s, row, dP);
        if (sums.dsinks2 !== null) {
          sums.dsinks2[h] = sums.dsinks2[h]! + (Psink * rowsum) ** 2;
          // Psink·P_ij·|dP|_ij: P_ij (subnormal when a sink or ALiBi dwarfs the key) multiplies Psink·|dP|_ij, Psink
          // multiplies rowsum.
          let dPsum = 0;
          for (let j = 0; j < Sk; j++) if (P[j] !== 0) dPsum += dP[j]!;
          sums.dsinksM![h] = sums.dsinksM![h]! + Psink * dPsum + rowsum;
          if (sinkIsRowMax(P, Psink)) maxResidueTerms(sums, h, P, dP, rowsum);
        }
        gradientTerms(sums, inputs, opts, s, row, dP, rowsum);
      }
  return scalesOf(sums);
}

/**
 * The row's logits and the terms of out and dv; fills dP with |dP|_ij (dropout applied) and returns
 * Σ_j P_ij |dP|_ij.
 */
function forwardTerms(
  sums: Sums,
  inputs: AttentionInputs,
  opts: AttentionOptions,
  s: AttentionShapes,
  { b, h, i, kvh, qRow, oRow, P, dropScale }: Row,
  dP: Float64Array,
): number {
  const { Hkv, Sq, Sk, D, Dv } = s;
  const [q, k, v, dO] = [inputs.q.data, inputs.k.data, inputs.v.data, inputs.dOut.data];
  const { out2, dv2, outM, dvM } = sums;
  let rowsum = 0; // Σ_j P_ij |dP|_ij
  for (let j = 0; j < Sk; j++) {
    dP[j] = 0;
    if (P[j] === 0) continue;
    const kRow = ((b * Hkv + kvh) * Sk + j) * D;
    let absDot = 0;
    for (let d = 0; d < D; d++) absDot += Math.abs(q[qRow + d]! * k[kRow + d]!);
    const additive =
      Math.abs(alibiTerm(opts.alibiSlopes, b, h, i, j, Sq, Sk)) + Math.abs(biasTerm(opts.bias, b, h, i, j));
    sums.logit = Math.max(sums.logit, Math.abs(opts.scale) * absDot + additive);
    const vRow = ((b * Hkv + kvh) * Sk + j) * Dv;
    const w = P[j]! * dropScale[j]!;
    let dPabs = 0;
    for (let e = 0; e < Dv; e++) {
      out2[oRow + e] = out2[oRow + e]! + (w * v[vRow + e]!) ** 2;
      dv2[vRow + e] = dv2[vRow + e]! + (w * dO[oRow + e]!) ** 2;
      outM[oRow + e] = outM[oRow + e]! + dropScale[j]! * Math.abs(v[vRow + e]!);
      dvM[vRow + e] = dvM[vRow + e]! + dropScale[j]! * Math.abs(dO[oRow + e]!);
      dPabs += Math.abs(dO[oRow + e]! * v[vRow + e]!);
    }
    dP[j] = dPabs * dropScale[j]!;
    rowsum += dP[j]! * P[j]!;
  }
  return rowsum;
}

/** The row's terms of dq, dk and dbias: T_ij = P_ij·(|dP|_ij + rowsum) times the factor it multiplies. */
function gradientTerms(
  sums: Sums,
  inputs: AttentionInputs,
  opts: AttentionOptions,
  s: AttentionShapes,
  { b, h, i, kvh, qRow, P }: Row,
  dP: Float64Array,
  rowsum: number,
): void {
  const { Hkv, Sk, D } = s;
  const [q, k] = [inputs.q.data, inputs.k.data];
  const { dq2, dk2, dqM, dkM, dbias2, dbiasM } = sums;
  for (let j = 0; j < Sk; j++) {
    if (P[j] === 0) continue;
    if (dbias2 !== null) {
      const n = biasIndex(opts.bias!, b, h, i, j);
      dbias2[n] = dbias2[n]! + (P[j]! * (dP[j]! + rowsum)) ** 2;
      dbiasM![n] = dbiasM![n]! + dP[j]! + rowsum;
    }
    const factor = Math.abs(opts.scale) * (dP[j]! + rowsum);
    const dS = P[j]! * factor;
    const kRow = ((b * Hkv + kvh) * Sk + j) * D;
    for (let d = 0; d < D; d++) {
      dq2[qRow + d] = dq2[qRow + d]! + (dS * k[kRow + d]!) ** 2;
      dk2[kRow + d] = dk2[kRow + d]! + (dS * q[qRow + d]!) ** 2;
      dqM[qRow + d] = dqM[qRow + d]! + factor * Math.abs(k[kRow + d]!);
      dkM[kRow + d] = dkM[kRow + d]! + factor * Math.abs(q[qRow + d]!);
    }
  }
}

/** Whether the sink's logit is at least every visible key's: its weight is the row's largest. */
function sinkIsRowMax(P: Float64Array, Psink: number): boolean {
  for (const p of P) if (p > Psink) return false;
  return true;
}

/**
 * An implementation that subtracts the row's max logit before the softmax and differentiates
 * through the max (transformers' eager with sinks, as gpt-oss writes it) hands the row's float32
 * residue of Σ_j dS_ij, 0 in real arithmetic, to the largest logit; where that is the sink, dsinks
 * receives it, not scaled by Psink. Its terms are dq's, T_ij = P_ij·(|dP|_ij + rowsum). Seen:
 * torch:eager (PyTorch 1.13 CPU, float32) dsinks 1.1e-7 off against 8.4e-8 allowed, Sq = 7,
 * Sk = 209, small integers, where the contract's formula in PyTorch ops lands 1.6e-9 off.
 */
function maxResidueTerms(sums: Sums, h: number, P: Float64Array, dP: Float64Array, rowsum: number): void {
  for (let j = 0; j < P.length; j++) {
    if (P[j] === 0) continue;
    sums.dsinks2![h] = sums.dsinks2![h]! + (P[j]! * (dP[j]! + rowsum)) ** 2;
    sums.dsinksM![h] = sums.dsinksM![h]! + dP[j]! + rowsum;
  }
}

/** Per tensor, the largest norm and the largest mass over its elements. */
function scalesOf(sums: Sums): TermScales {
  const maxNorm = (a: Float64Array) => Math.sqrt(a.reduce((m, x) => Math.max(m, x), 0));
  const maxOf = (a: Float64Array) => a.reduce((m, x) => Math.max(m, x), 0);
  const score = (
    f: (a: Float64Array) => number,
    bias: Float64Array | null,
    sinks: Float64Array | null,
  ): ScoreTermScales => ({
    ...(bias !== null ? { dbias: f(bias) } : {}),
    ...(sinks !== null ? { dsinks: f(sinks) } : {}),
  });
  const { out2, dq2, dk2, dv2, outM, dqM, dkM, dvM } = sums;
  return {
    out: maxNorm(out2),
    dq: maxNorm(dq2),
    dk: maxNorm(dk2),
    dv: maxNorm(dv2),
    ...score(maxNorm, sums.dbias2, sums.dsinks2),
    logit: sums.logit,
    mass: {
      out: maxOf(outM),
      dq: maxOf(dqM),
      dk: maxOf(dkM),
      dv: maxOf(dvM),
      ...score(maxOf, sums.dbiasM, sums.dsinksM),
    },
  };
}
