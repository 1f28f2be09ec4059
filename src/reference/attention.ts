/**
 * The float64 reference for attention: the ground truth every kernel is judged against, and the
 * executable form of the contract (src/contract/types.ts). Plain loops over Float64Array, no tfjs.
 *
 *   T = scale · Q·Kᵀ                over visible keys only                  [B, Hq, Sq, Sk]
 *   S = c·tanh(T/c)                 softcap c (S = T without)
 *       + alibi_ij + bias_ij        alibi_ij = -slope_bh·|i + Sk - Sq - j|, bias [B|1,Hq|1,Sq,Sk]
 *   lse = log(Σ_j exp(S_j) + exp(sink_h))   -Infinity when no key is visible (sink or not)   [B, Hq, Sq]
 *   P = exp(S - lse)                0 at invisible keys; Psink = exp(sink_h - lse)          [B, Hq, Sq, Sk]
 *   Pdrop = P ∘ keep / (1-p)        keep(b,h,i,j) = keeps(dropout, b, h, i, j): the replayed mask a
 *                                   kernel returned (dropout.keep), else dropoutKeep(seed, b, h, i, j, p)
 *   O = Pdrop · V                                                                            [B, Hq, Sq, Dv]
 *
 *   q [B,Hq,Sq,D]   k [B,Hkv,Sk,D]   v [B,Hkv,Sk,Dv]   dOut [B,Hq,Sq,Dv]
 *   query head h reads kv head floor(h / (Hq/Hkv)) (repeat_interleave).
 *
 * Visibility is `visible` from the contract, the single predicate (causal top-left or
 * bottom-right, window, keyLengths + paddingSide, broadcast boolean mask, all ANDed):
 *
 *   causal 'bottom-right', Sq = 2, Sk = 4        keyLengths [2], paddingSide 'left'
 *        k0 k1 k2 k3                                  k0 k1 k2 k3
 *   q0   x  x  x  .                              q0   .  .  x  x
 *   q1   x  x  x  x                              q1   .  .  x  x
 *
 * Backward, hand-derived (gradients of sum(O ∘ dO)), per query row, side by side with the forward:
 *
 *   dV     = Pdropᵀ · dO                 dPdrop = dO · Vᵀ
 *   dP     = dPdrop ∘ keep / (1-p)       dS     = P ∘ (dP - rowsum(dP ∘ P))
 *   dT     = dS ∘ (1 - (S_cap/c)²)       (tanh' ; dT = dS without softcap; S_cap = c·tanh(T/c))
 *   dQ     = scale · dT · K              dK     = scale · dTᵀ · Q
 *   dbias  = dS, summed over the bias's broadcast dims
 *   dsink_h = Σ_{b,i} -Psink_i · rowsum_i(dP ∘ P)   (the sink is one more softmax column whose dP is 0)
 *   dK, dV summed over each group of query heads sharing a kv head.
 *
 * A row with no visible key has O = 0 and contributes nothing to any gradient. Keys that are not
 * visible are never read, so junk (NaN, huge values) there cannot leak. Inputs are taken as they
 * are (the harness rounds them beforehand): `opts.precision` is ignored.
 */
import {
  type AttentionInputs,
  type AttentionOptions,
  type AttentionResult,
  type AttentionShapes,
  alibiTerm,
  attentionShapes,
  biasIndex,
  biasTerm,
  formatShape,
  type HostTensor,
  keeps,
  sameShape,
  sinkOf,
  softcapped,
  visible,
  zeros,
} from '../contract/index.js';

/** The forward pass with the log-sum-exp each row's softmax used (for merging chunks by lse). */
export interface AttentionForward {
  /** [B, Hq, Sq, Dv] */
  readonly out: HostTensor;
  /** [B, Hq, Sq]; log(Σ_j exp(S_ij) + exp(sink_h)) over visible keys, -Infinity for a row with none. */
  readonly lse: HostTensor;
}

/** The softmax of one query row: P over all Sk keys (0 where invisible), the dropout, and lse. */
export interface Row {
  readonly P: Float64Array;
  /** keep / (1-p) per key: 1/(1-p) where kept, 0 where dropped; all 1 without dropout. */
  readonly dropScale: Float64Array;
  readonly lse: number;
  /** The sink's weight exp(sink_h - lse): 0 without sinks and in a row with no visible key. */
  readonly Psink: number;
  /** dS_ij/dT_ij of the softcap, 1 - (S_cap/c)² (all 1 without softcap). */
  readonly capSlope: Float64Array;
}

/** Forward of query row (b, h, i): S, lse, P and the dropout multiplier. */
export function softmaxRow(
  inputs: Pick<AttentionInputs, 'q' | 'k'>,
  opts: AttentionOptions,
  s: AttentionShapes,
  b: number,
  h: number,
  i: number,
): Row {
  const { Hq, Hkv, Sq, Sk, D } = s;
  const q = inputs.q.data;
  const k = inputs.k.data;
  const kvh = Math.floor(h / (Hq / Hkv));
  const qRow = ((b * Hq + h) * Sq + i) * D;
  const S = new Float64Array(Sk).fill(-Infinity);
  const capSlope = new Float64Array(Sk).fill(1);
  let m = -Infinity;
  for (let j = 0; j < Sk; j++) {
    if (!visible(opts, s, b, h, i, j)) continue;
    const kRow = ((b * Hkv + kvh) * Sk + j) * D;
    let dot = 0;
    for (let d = 0; d < D; d++) dot += q[qRow + d]! * k[kRow + d]!;
    // scale·q·k -> softcap -> (visible) -> + ALiBi + bias
    const capped = softcapped(opts.scale * dot, opts.softcap);
    if (opts.softcap != null) capSlope[j] = 1 - (capped / opts.softcap) ** 2;
    S[j] = capped + alibiTerm(opts.alibiSlopes, b, h, i, j, Sq, Sk) + biasTerm(opts.bias, b, h, i, j);
    m = Math.max(m, S[j]!);
  }
  const P = new Float64Array(Sk);
  const dropScale = new Float64Array(Sk).fill(1);
  if (m === -Infinity) return { P, dropScale, lse: -Infinity, Psink: 0, capSlope };
  // The sink joins the denominator only (e^{-inf} = 0 without one).
  const sink = sinkOf(opts.sinks, h);
  m = Math.max(m, sink);
  let l = Math.exp(sink - m);
  for (let j = 0; j < Sk; j++) if (S[j] !== -Infinity) l += Math.exp(S[j]! - m);
  const lse = m + Math.log(l);
  const Psink = Math.exp(sink - lse);
  for (let j = 0; j < Sk; j++) P[j] = S[j] === -Infinity ? 0 : Math.exp(S[j]! - lse);
  const p = opts.dropout?.p ?? 0;
  if (p > 0) {
    for (let j = 0; j < Sk; j++) dropScale[j] = keeps(opts.dropout!, b, h, i, j) ? 1 / (1 - p) : 0;
  }
  return { P, dropScale, lse, Psink, capSlope };
}

function shapesOf(inputs: Pick<AttentionInputs, 'q' | 'k' | 'v'>, opts: AttentionOptions): AttentionShapes {
  return attentionShapes(inputs.q.shape, inputs.k.shape, inputs.v.shape, opts, 'reference');
}

const exact = (x: number) => x;

/** O and lse only; `round` as `referenceAttention`'s (the weights before ·V and O). */
export function referenceAttentionForward(
  inputs: Pick<AttentionInputs, 'q' | 'k' | 'v'>,
  opts: AttentionOptions,
  round: (x: number) => number = exact,
): AttentionForward {
  const s = shapesOf(inputs, opts);
  const { B, Hq, Hkv, Sq, Sk, Dv } = s;
  const v = inputs.v.data;
  const out = zeros([B, Hq, Sq, Dv]);
  const lse = zeros([B, Hq, Sq]);
  const O = out.data;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++)
      for (let i = 0; i < Sq; i++) {
        const row = softmaxRow(inputs, opts, s, b, h, i);
        const kvh = Math.floor(h / (Hq / Hkv));
        const oRow = ((b * Hq + h) * Sq + i) * Dv;
        lse.data[(b * Hq + h) * Sq + i] = row.lse;
        for (let j = 0; j < Sk; j++) {
          const w = round(row.P[j]! * row.dropScale[j]!);
          if (w === 0) continue; // invisible or dropped: V_j is not read
          const vRow = ((b * Hkv + kvh) * Sk + j) * Dv;
          for (let e = 0; e < Dv; e++) O[oRow + e] = O[oRow + e]! + w * v[vRow + e]!;
        }
      }
  if (round !== exact) for (let n = 0; n < O.length; n++) O[n] = round(O[n]!);
  return { out, lse };
}

/**
 * O, dQ, dK, dV: the forward and the hand-derived backward of the whole contract.
 *
 * `round` rounds at the contract's rounding points (identity: the float64 reference): the weights
 * Pdrop before Pdrop·V, and the outputs O, dQ, dK, dV (inputs and dOut arrive rounded). With
 * `x => roundTo(precision, x)` this is the same-precision baseline the oracle measures a case's
 * difficulty with (src/oracle/tolerance.ts): the reference's own algorithm, rounded where every
 * compliant kernel must round, everything else exact.
 */
export function referenceAttention(
  inputs: AttentionInputs,
  opts: AttentionOptions,
  round: (x: number) => number = exact,
): AttentionResult {
  const s = shapesOf(inputs, opts);
  const { B, Hq, Hkv, Sq, Sk, D, Dv } = s;
  if (!sameShape(inputs.dOut.shape, [B, Hq, Sq, Dv])) {
    throw new Error(
      `reference: dOut.shape ${formatShape(inputs.dOut.shape)} does not match out [${B},${Hq},${Sq},${Dv}]`,
    );
  }
  const [q, k, v, dO] = [inputs.q.data, inputs.k.data, inputs.v.data, inputs.dOut.data];
  const out = zeros([B, Hq, Sq, Dv]);
  const dq = zeros(inputs.q.shape);
  const dk = zeros(inputs.k.shape);
  const dv = zeros(inputs.v.shape);
  const lse = zeros([B, Hq, Sq]);
  const dbias = opts.bias != null ? zeros(opts.bias.shape) : null;
  const dsinks = opts.sinks != null ? zeros([Hq]) : null;
  const [O, dQ, dK, dV] = [out.data, dq.data, dk.data, dv.data];
  const dP = new Float64Array(Sk);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++)
      for (let i = 0; i < Sq; i++) {
        const row = softmaxRow(inputs, opts, s, b, h, i);
        const { P, dropScale, Psink, capSlope } = row;
        lse.data[(b * Hq + h) * Sq + i] = row.lse;
        if (row.lse === -Infinity) continue; // empty row: O = 0, no gradient
        const kvh = Math.floor(h / (Hq / Hkv));
        const qRow = ((b * Hq + h) * Sq + i) * D;
        const oRow = ((b * Hq + h) * Sq + i) * Dv;
        // Forward: O_i = Σ_j Pdrop_ij V_j.   Backward: dV_j += Pdrop_ij dO_i, dP_ij = keep/(1-p) · dO_i·V_j.
        let rowsum = 0; // Σ_j dP_ij P_ij
        for (let j = 0; j < Sk; j++) {
          dP[j] = 0;
          if (P[j] === 0) continue;
          const vRow = ((b * Hkv + kvh) * Sk + j) * Dv;
          const Pdrop = round(P[j]! * dropScale[j]!);
          let dPdrop = 0;
          for (let e = 0; e < Dv; e++) {
            O[oRow + e] = O[oRow + e]! + Pdrop * v[vRow + e]!;
            dV[vRow + e] = dV[vRow + e]! + Pdrop * dO[oRow + e]!;
            dPdrop += dO[oRow + e]! * v[vRow + e]!;
          }
          dP[j] = dPdrop * dropScale[j]!;
          rowsum += dP[j]! * P[j]!;
        }
        // The sink: one more column of the softmax, with dP = 0.
        if (dsinks !== null) dsinks.data[h] = dsinks.data[h]! - Psink * rowsum;
        // dS_ij = P_ij (dP_ij - rowsum);  dbias_ij += dS_ij;  dT_ij = dS_ij·tanh';
        // dQ_i += scale dT_ij K_j;  dK_j += scale dT_ij Q_i.
        for (let j = 0; j < Sk; j++) {
          if (P[j] === 0) continue;
          const dS = P[j]! * (dP[j]! - rowsum);
          if (dbias !== null) {
            const n = biasIndex(dbias, b, h, i, j);
            dbias.data[n] = dbias.data[n]! + dS;
          }
          const dT = dS * capSlope[j]!;
          const kRow = ((b * Hkv + kvh) * Sk + j) * D;
          for (let d = 0; d < D; d++) {
            dQ[qRow + d] = dQ[qRow + d]! + opts.scale * dT * k[kRow + d]!;
            dK[kRow + d] = dK[kRow + d]! + opts.scale * dT * q[qRow + d]!;
          }
        }
      }
  const scoreGrads = [dbias, dsinks].filter((t) => t !== null).map((t) => t.data);
  if (round !== exact)
    for (const t of [O, dQ, dK, dV, ...scoreGrads]) for (let n = 0; n < t.length; n++) t[n] = round(t[n]!);
  return { out, dq, dk, dv, lse, ...(dbias !== null ? { dbias } : {}), ...(dsinks !== null ? { dsinks } : {}) };
}
