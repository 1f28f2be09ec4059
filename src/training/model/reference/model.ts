/**
 * The float64 reference of one training step of the tiny decoder: forward, loss and the gradient
 * of every LoRA parameter, on the tape of ./tape.ts. The spec the tfjs model is judged against.
 *
 *   h = embed[ids]                                               [N, d]      N = B·S
 *   per layer L:
 *     x = RMSNorm(h, attn_norm)
 *     q, k, v = lora_q(x), lora_k(x), lora_v(x)   -> heads       [B, H, S, Dh]
 *     q, k = rope(q, pos), rope(k, pos)
 *     a = attention(q, k, v)   key j visible to query i iff j <= i and doc[j] == doc[i] != -1
 *     h = h + lora_o(merge(a))
 *     x = RMSNorm(h, mlp_norm)
 *     h = h + lora_down(silu(lora_gate(x)) ∘ lora_up(x))
 *   logits = RMSNorm(h, norm) · lm_headᵀ                          [N, V]
 *   loss = mean over labelled tokens of -log softmax(logits)[label]
 *
 *   lora_t(x) = x·Wᵀ + s · (dropout(x)·Aᵀ)·Bᵀ   for the case's targets, x·Wᵀ elsewhere
 *
 * Attention is the project's float64 reference (src/reference), so the model's visibility is
 * stated once, from the documents the batch was built from: never from the mask or positions the
 * tfjs model has to interpret. A padded query row sees no key and outputs 0, as the contract says.
 *
 * `round` reruns the same step as the same-precision baseline (src/training/allowance.ts): it rounds
 * where the kernels under test round (attention: q, k, v at entry, the weights, the output, the
 * gradients; LoRA: x, A, B at entry, h, y), forward and backward, and nowhere else.
 */

import { type AttentionOptions, dropoutKeep, type HostTensor, loraScaling } from '../../../contract/index.js';
import { referenceAttention, referenceAttentionForward } from '../../../reference/index.js';
import { type Batch, IGNORE_INDEX } from '../batch.js';
import { headDim, type LORA_TARGETS, type LoraConfig, type ModelConfig, RMS_EPS } from '../config.js';
import { attentionDropoutSeed, loraDropoutSeed, type ModelParams, type Params, siteName } from '../params.js';
import { ropeTables } from '../rope.js';
import { Tape, Value } from './tape.js';

export interface ReferenceStep {
  /** [B, S, V] */
  readonly logits: HostTensor;
  readonly loss: number;
  /** d loss / d parameter for every trainable parameter, by name. */
  readonly grads: Params;
  /** The largest |gradient| anywhere in the backward (the terms the parameter gradients sum). */
  readonly gradientTerms: number;
  /**
   * Per trainable parameter, the norm of the terms its gradient sums, the largest over its
   * elements: dB[o,c] = Σ_n dδ[n,o]·h[n,c] and dA[c,i] = Σ_n dh[n,c]·x[n,i] sum over every token
   * of the batch (and a q/k/v/o site's rows hold every head), so a rounding of each term (a dy or
   * h landing on the neighbouring representable value) moves the sum by u times this norm, which
   * grows as √N where the gradient itself can cancel.
   */
  readonly termNorms: Map<string, number>;
}

/** max over (a, b) of ‖(g[n, a] · x[n, b])_n‖: the term norm of a weight gradient gᵀ·x over N rows. */
function termNorm(g: Value, x: Value): number {
  const [N, A] = g.shape as [number, number];
  const Bn = x.shape[1]!;
  let m = 0;
  for (let a = 0; a < A; a++)
    for (let b = 0; b < Bn; b++) {
      let ss = 0;
      for (let n = 0; n < N; n++) ss += (g.grad[n * A + a]! * x.data[n * Bn + b]!) ** 2;
      m = Math.max(m, ss);
    }
  return Math.sqrt(m);
}

/** Index maps between [N, H·Dh] rows and [B, H, S, Dh] heads. */
function headMaps(B: number, S: number, H: number, Dh: number): { split: Int32Array; merge: Int32Array } {
  const split = new Int32Array(B * H * S * Dh);
  const merge = new Int32Array(B * S * H * Dh);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let s = 0; s < S; s++)
        for (let c = 0; c < Dh; c++) {
          const rowIdx = (b * S + s) * H * Dh + h * Dh + c;
          const headIdx = ((b * H + h) * S + s) * Dh + c;
          split[headIdx] = rowIdx;
          merge[rowIdx] = headIdx;
        }
  return { split, merge };
}

/** rope(x) = x∘cos + rotate_half(x)∘sin on [B, H, S, Dh]; backward applies the transposed rotation. */
function rope(tape: Tape, x: Value, cos: Float64Array, sin: Float64Array): Value {
  const [B, H, S, Dh] = x.shape as [number, number, number, number];
  const half = Dh / 2;
  const y = new Float64Array(x.data.length);
  const row = (n: number) => Math.floor(n / (H * S * Dh)) * S + (Math.floor(n / Dh) % S); // token b·S + s
  for (let n = 0; n < y.length; n++) {
    const c = n % Dh;
    const t = row(n) * Dh + c;
    const rot = c < half ? -x.data[n + half]! : x.data[n - half]!;
    y[n] = x.data[n]! * cos[t]! + rot * sin[t]!;
  }
  const out = new Value([B, H, S, Dh], y);
  return tape.record(out, () => {
    for (let n = 0; n < y.length; n++) {
      const c = n % Dh;
      const t = row(n) * Dh + c;
      const g = out.grad[n]!;
      x.grad[n] = x.grad[n]! + g * cos[t]!;
      // y[n] reads x[n + half] (c < half, with -1) or x[n - half] (c >= half), times sin.
      if (c < half) x.grad[n + half] = x.grad[n + half]! - g * sin[t]!;
      else x.grad[n - half] = x.grad[n - half]! + g * sin[t]!;
    }
  });
}

const exact = (x: number) => x;

/** Attention through the float64 reference; its hand-derived backward gives dq, dk, dv. */
function attention(
  tape: Tape,
  q0: Value,
  k0: Value,
  v0: Value,
  opts: AttentionOptions,
  round: (x: number) => number,
): Value {
  const [q, k, v] =
    round === exact ? [q0, k0, v0] : [tape.round(q0, round), tape.round(k0, round), tape.round(v0, round)];
  const inputs = { q: q.toHost(), k: k.toHost(), v: v.toHost() };
  const out = new Value(q.shape, referenceAttentionForward(inputs, opts, round).out.data);
  return tape.record(out, () => {
    const r = referenceAttention({ ...inputs, dOut: out.gradHost() }, opts, round);
    for (const [x, g] of [
      [q, r.dq],
      [k, r.dk],
      [v, r.dv],
    ] as const)
      for (let n = 0; n < g.data.length; n++) x.grad[n] = x.grad[n]! + g.data[n]!;
  });
}

/** Visibility from the documents: same document (not padding), causal added by the options. */
function documentMask(batch: Batch): AttentionOptions['mask'] {
  const { B, S, docIds } = batch;
  const data = new Uint8Array(B * S * S);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < S; i++)
      for (let j = 0; j < S; j++) {
        const di = docIds[b * S + i]!;
        data[(b * S + i) * S + j] = di >= 0 && docIds[b * S + j] === di ? 1 : 0;
      }
  return { shape: [B, 1, S, S], data };
}

/**
 * One forward and backward of the model in float64 at optimiser step `step` (dropout seeds), on exact values: no
 * rounding.
 */
export interface ReferenceOptions {
  /** Attention dropout probability (default 0). */
  readonly attentionDropout?: number;
  /** Rounding at the kernels' rounding points (default none: the float64 reference). */
  readonly round?: (x: number) => number;
}

export function referenceStep(
  config: ModelConfig,
  lora: LoraConfig,
  params: ModelParams,
  batch: Batch,
  caseSeed: number,
  step: number,
  o: ReferenceOptions = {},
): ReferenceStep {
  const attentionDropout = o.attentionDropout ?? 0;
  const round = o.round ?? exact;
  const tape = new Tape();
  const r = (x: Value) => (round === exact ? x : tape.round(x, round));
  const { B, S } = batch;
  const N = B * S;
  const Dh = headDim(config);
  const P = (name: string, from: Params) => tape.leaf(from.get(name)!);
  const frozen = (name: string) => P(name, params.frozen);
  const trainable = new Map<string, Value>();
  for (const [name, t] of params.trainable) trainable.set(name, tape.leaf(t));
  const s = loraScaling(lora);
  const { cos, sin } = ropeTables(batch.positionIds, Dh);
  const opts: AttentionOptions = {
    scale: 1 / Math.sqrt(Dh),
    causal: 'top-left',
    window: null,
    keyLengths: null,
    paddingSide: 'right',
    mask: documentMask(batch),
    dropout: null,
    precision: 'float32',
  };

  const proj = (x0: Value, layer: number, target: (typeof LORA_TARGETS)[number]): Value => {
    const site = siteName(layer, target);
    const A0 = trainable.get(`${site}.A`);
    if (!A0) return tape.linear(x0, frozen(`${site}.W`));
    // The LoRA kernel's rounding points: x, A, B at entry, the activation h, the output y.
    const [x, A, B] = [r(x0), r(A0), r(trainable.get(`${site}.B`)!)];
    const base = tape.linear(x, frozen(`${site}.W`));
    let xd = x;
    if (lora.dropout > 0) {
      const seed = loraDropoutSeed(caseSeed, step, layer, target);
      const inp = x.shape[1]!;
      const keep = new Float64Array(x.data.length);
      for (let n = 0; n < N; n++)
        for (let f = 0; f < inp; f++)
          keep[n * inp + f] = dropoutKeep(seed, 0, 0, n, f, lora.dropout) ? 1 / (1 - lora.dropout) : 0;
      xd = tape.mulConst(x, keep);
    }
    const h0 = tape.linear(xd, A);
    const h1 = r(h0);
    const delta = tape.linear(h1, B);
    adapters.push({ site, xd, h0, h1, delta });
    return r(tape.add(base, tape.mulConst(delta, s)));
  };
  const adapters: Array<{ site: string; xd: Value; h0: Value; h1: Value; delta: Value }> = [];

  const qMaps = headMaps(B, S, config.heads, Dh);
  const kvMaps = headMaps(B, S, config.kvHeads, Dh);
  let h = tape.embedding(frozen('embed'), batch.inputIds);
  for (let l = 0; l < config.layers; l++) {
    const x = tape.rmsnorm(h, frozen(`layers.${l}.attn_norm`), RMS_EPS);
    const q = rope(tape, tape.permute(proj(x, l, 'q'), [B, config.heads, S, Dh], qMaps.split), cos, sin);
    const k = rope(tape, tape.permute(proj(x, l, 'k'), [B, config.kvHeads, S, Dh], kvMaps.split), cos, sin);
    const v = tape.permute(proj(x, l, 'v'), [B, config.kvHeads, S, Dh], kvMaps.split);
    const layerOpts =
      attentionDropout > 0
        ? { ...opts, dropout: { p: attentionDropout, seed: attentionDropoutSeed(caseSeed, step, l) } }
        : opts;
    const a = tape.permute(attention(tape, q, k, v, layerOpts, round), [N, config.heads * Dh], qMaps.merge);
    h = tape.add(h, proj(a, l, 'o'));
    const x2 = tape.rmsnorm(h, frozen(`layers.${l}.mlp_norm`), RMS_EPS);
    h = tape.add(h, proj(tape.mul(tape.silu(proj(x2, l, 'gate')), proj(x2, l, 'up')), l, 'down'));
  }
  const logits = tape.linear(tape.rmsnorm(h, frozen('norm'), RMS_EPS), frozen('lm_head'));
  const loss = tape.crossEntropy(logits, batch.labels, IGNORE_INDEX);
  tape.backward(loss);
  const grads: Params = new Map();
  for (const [name, v] of trainable) grads.set(name, v.gradHost());
  const termNorms = new Map<string, number>();
  for (const a of adapters) {
    termNorms.set(`${a.site}.A`, termNorm(a.h0, a.xd));
    termNorms.set(`${a.site}.B`, termNorm(a.delta, a.h1));
  }
  return {
    logits: { shape: [B, S, config.vocab], data: logits.data },
    loss: loss.data[0]!,
    grads,
    gradientTerms: tape.largestGradient(),
    termNorms,
  };
}
