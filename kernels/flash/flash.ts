/**
 * `flashAttnFunc`: FlashAttention-2 (Dao 2023, Algorithms 1 and 2) in tfjs, with the interface of
 * flash-attn's flash_attn_func. Tiled forward with online softmax (forward.ts), its own backward
 * recomputing P from the log-sum-exp (backward.ts) behind tf.customGrad, GQA without repeating
 * K/V (operands.ts), fully masked tiles skipped (tiles.ts); the contract adapter passes its BHSD
 * layout straight through (layout.ts). No tensor is read back to the host inside either pass.
 *
 *   q [B, Sq, Hq, D], k [B, Sk, Hkv, D], v [B, Sk, Hkv, Dv]  ->  out [B, Sq, Hq, Dv]     (BSHD)
 *   Hq % Hkv == 0; query head h reads kv head floor(h / (Hq / Hkv)).
 *
 * causal is BOTTOM-RIGHT (flash-attn >= 2.1): query i sees key j iff j <= i + Sk - Sq.
 * windowSize [left, right] is inclusive around that diagonal, -1 = unbounded.
 *   Sq = 2, Sk = 4, causal:        windowSize [1, 0], Sq = Sk = 4:
 *        k0 k1 k2 k3                    k0 k1 k2 k3
 *   q0   x  x  x  .                q0   x  .  .  .
 *   q1   x  x  x  x                q1   x  x  .  .
 *                                  q2   .  x  x  .
 *                                  q3   .  .  x  x
 * A query with no visible key gets output 0, lse -inf and zero gradients.
 *
 * Score options (flash-attn's `softcap` and `alibi_slopes`; a float bias and learnable sinks as
 * FlexAttention / gpt-oss kernels take them), in the contract's order:
 *   S = scale·q·kᵀ -> softcap c·tanh(S/c) -> mask -> + ALiBi -slope·|i + Sk - Sq - j| -> + bias
 *   -> softmax whose denominator also holds e^{sink_h}
 * bias [B|1, Hq|1, Sq, Sk] and sinks [Hq] are differentiated (dBias summed over broadcast dims);
 * the ALiBi slopes are constants. `flashAttentionWithLse` also returns lse [B, Hq, Sq].
 *
 * Precision: q, k, v are rounded at entry, the P tile before P·V, and the output (roundTensor,
 * whose gradient rounds the incoming gradient); everything else accumulates in float32.
 * Dropout keeps element (b, h, i, j) iff the contract's counter-based hash says so, in both passes.
 *
 * Known deviations: P·V is a matmul over the tile, so a NaN/Inf in a key or value that one query
 * row of the tile sees and another does not also reaches the other row (0 · NaN = NaN); keys and
 * query rows that nothing in the tile sees are zeroed first, so padding junk never leaks. With an
 * emulated low precision the backward's dV uses the rounded normalised P (see backward.ts).
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import * as defaultTf from '@tensorflow/tfjs-core';
import type { Precision, TF } from '../../src/contract/index.js';
import { roundTensor } from '../common/round.js';
import { flashBackward } from './backward.js';
import { flashForward } from './forward.js';
import { type FlashCall, fail, prepare } from './layout.js';

/**
 * Default block sizes: a fuzzing-sized call is one tile, and a tile [G·256, 256] keeps memory O(S)
 * while amortising tfjs's per-op cost. Measured on wasm, 2-core Xeon, B1 H4 D64, CPU-time share of
 * matMul 1024³ at S = 1024: 33% (64), 42% (128), 48% (256), 49% (512); at S = 4096 causal takes 54%
 * of non-causal's time with 256 (the diagonal tiles are the extra over one half).
 */
export const DEFAULT_BR = 256;
export const DEFAULT_BC = 256;

/** Options of flash_attn_func, camel-cased; `Br`/`Bc` are the block sizes the CUDA kernel fixes at compile time. */
export interface FlashAttnOptions {
  /** Multiplies Q·Kᵀ; default 1/sqrt(D). */
  readonly softmaxScale?: number;
  /** Bottom-right causal; default false. */
  readonly causal?: boolean;
  /** [left, right], -1 = unbounded; default [-1, -1] (no window). */
  readonly windowSize?: readonly [number, number];
  /** Drop probability on the attention weights; default 0. */
  readonly dropoutP?: number;
  /** uint32 seed of the contract's dropout hash; default 0. */
  readonly dropoutSeed?: number;
  readonly Br?: number;
  readonly Bc?: number;
  readonly precision?: Precision;
  /** c of c·tanh(S/c) on the scaled scores; default none (flash-attn: softcap=0.0). */
  readonly softcap?: number;
  /** ALiBi slopes [Hq] or [B, Hq] (flash-attn's alibi_slopes); default none. */
  readonly alibiSlopes?: Tensor | null;
}

/** The differentiable score inputs of a call: bias [B|1, Hq|1, Sq, Sk] and sinks [Hq]. */
export interface FlashScoreInputs {
  readonly bias?: Tensor | null;
  readonly sinks?: Tensor | null;
}

/** Checks block sizes, dropout and window; returns them resolved. */
export function resolveCommon(
  o: FlashAttnOptions,
): Pick<FlashCall, 'Br' | 'Bc' | 'precision'> & { window: readonly [number, number] | null; p: number } {
  const Br = o.Br ?? DEFAULT_BR;
  const Bc = o.Bc ?? DEFAULT_BC;
  if (!Number.isInteger(Br) || Br < 1) fail('Br', `must be a positive integer, got ${Br}`);
  if (!Number.isInteger(Bc) || Bc < 1) fail('Bc', `must be a positive integer, got ${Bc}`);
  const p = o.dropoutP ?? 0;
  if (!(p >= 0 && p < 1)) fail('dropoutP', `must be in [0, 1), got ${p}`);
  const [left, right] = o.windowSize ?? [-1, -1];
  if (!Number.isInteger(left) || !Number.isInteger(right) || left < -1 || right < -1) {
    fail('windowSize', `must be two integers >= -1, got [${left}, ${right}]`);
  }
  const window = left === -1 && right === -1 ? null : ([left, right] as const);
  return { Br, Bc, precision: o.precision ?? 'float32', window, p };
}

/** flash_attn_func: q [B,Sq,Hq,D], k [B,Sk,Hkv,D], v [B,Sk,Hkv,Dv] -> out [B,Sq,Hq,Dv]. */
export function flashAttnFunc(
  q: Tensor4D,
  k: Tensor4D,
  v: Tensor4D,
  options: FlashAttnOptions = {},
  tf: TF = defaultTf,
): Tensor4D {
  return flashAttention(tf, q, k, v, callOf(q, options));
}

function callOf(q: Tensor4D, options: FlashAttnOptions): FlashCall {
  const r = resolveCommon(options);
  return {
    scale: options.softmaxScale ?? 1 / Math.sqrt(q.shape[3]),
    restrictions: {
      causal: options.causal ? 'bottom-right' : 'none',
      window: r.window,
      keyLengths: null,
      paddingSide: 'right',
      mask: null,
    },
    Br: r.Br,
    Bc: r.Bc,
    dropout: r.p > 0 ? { p: r.p, seed: options.dropoutSeed ?? 0, batchOffset: 0 } : null,
    precision: r.precision,
    softcap: options.softcap !== undefined && options.softcap > 0 ? options.softcap : null,
    alibiSlopes: options.alibiSlopes ?? null,
  };
}

/**
 * flash_attn_func(..., return_attn_probs=True) without the probabilities: the output and the
 * log-sum-exp softmaxLse [B, Hq, Sq] of each row's scaled, masked scores (-inf for a row that
 * sees no key), e.g. to merge attention over K/V chunks. Forward only: not differentiable.
 */
export function flashAttnFuncWithLse(
  q: Tensor4D,
  k: Tensor4D,
  v: Tensor4D,
  options: FlashAttnOptions = {},
  tf: TF = defaultTf,
): { out: Tensor4D; softmaxLse: Tensor } {
  const call = callOf(q, options);
  const { cfg, dims, grouped, ungrouped, kvGrouped } = prepare(tf, q, k, v, call);
  const { B, Sq, Hq, D, Dv } = dims;
  const p = call.precision;
  return tf.tidy(() => {
    const g = {
      Q: grouped(roundTensor(tf, q, p), Sq, D),
      K: kvGrouped(roundTensor(tf, k, p)),
      V: kvGrouped(roundTensor(tf, v, p)),
    };
    const { O, lse } = flashForward(tf, g, cfg);
    return { out: roundTensor(tf, ungrouped(O, Sq, Dv), p) as Tensor4D, softmaxLse: tf.reshape(lse, [B, Hq, Sq]) };
  });
}

/** The core every entry point calls: BSHD tensors in, BSHD out, differentiable through flashBackward. */
export function flashAttention(
  tf: TF,
  q: Tensor4D,
  k: Tensor4D,
  v: Tensor4D,
  call: FlashCall,
  scores: FlashScoreInputs = {},
): Tensor4D {
  const { out, lse } = flashAttentionWithLse(tf, q, k, v, call, scores);
  lse.dispose();
  return out;
}

/**
 * The core with its log-sum-exp: out (differentiable in q, k, v, bias, sinks) in the call's layout,
 * and lse [B, Hq, Sq] (not differentiable: it leaves the customGrad beside its value, kept past the
 * engine's scope, so no concat or slice of the two is needed on either pass).
 */
export function flashAttentionWithLse(
  tf: TF,
  q: Tensor4D,
  k: Tensor4D,
  v: Tensor4D,
  call: FlashCall,
  scores: FlashScoreInputs = {},
): { out: Tensor4D; lse: Tensor } {
  const { cfg, dims, grouped, ungrouped, kvGrouped, groupedBias, groupedSinks } = prepare(tf, q, k, v, call);
  const { B, Sq, Hq, D, Dv } = dims;
  const bias = scores.bias ?? null;
  const sinks = scores.sinks ?? null;
  let lseOut: Tensor | null = null;

  // tfjs: customGrad's typing passes `save` among the inputs; inputs are q, k, v[, bias][, sinks].
  const attend = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as (ts: Tensor[]) => void;
    const [qq, kk, vv, ...rest] = args as Tensor[];
    const bb = bias !== null ? rest.shift()! : null;
    const ss = sinks !== null ? rest.shift()! : null;
    const operands = (qx: Tensor, kx: Tensor, vx: Tensor, bx: Tensor | null, sx: Tensor | null) => ({
      Q: grouped(qx, Sq, D),
      K: kvGrouped(kx),
      V: kvGrouped(vx),
      bias: bx === null ? null : groupedBias(bx),
      sinks: sx === null ? null : groupedSinks(sx),
    });
    const { O, lse } = flashForward(tf, operands(qq!, kk!, vv!, bb, ss), cfg);
    // Saved: the inputs (alive anyway), O and lse; the grouped views are rebuilt in the backward.
    save([qq!, kk!, vv!, O, lse, ...(bb ? [bb] : []), ...(ss ? [ss] : [])]);
    lseOut = tf.keep(tf.reshape(lse, [B, Hq, Sq]));
    return {
      value: ungrouped(O, Sq, Dv),
      gradFunc: (dOut: Tensor, saved: Tensor[]) => {
        const [qs, ks, vs, Os, lses, ...more] = saved as Tensor[];
        const bs = bias !== null ? more.shift()! : null;
        const ssv = sinks !== null ? more.shift()! : null;
        const r = flashBackward(tf, operands(qs!, ks!, vs!, bs, ssv), Os!, lses!, grouped(dOut, Sq, Dv), cfg);
        return [
          ungrouped(r.dQ, Sq, D),
          kvGrouped(r.dK),
          kvGrouped(r.dV),
          ...(bs !== null ? [tf.reshape(r.dBias!, bs.shape)] : []),
          ...(ssv !== null ? [tf.reshape(r.dSinks!, ssv.shape)] : []),
        ];
      },
    };
  }) as unknown as Parameters<TF['customGrad']>[0]);

  const p = call.precision;
  return tf.tidy(() => {
    const inputs = [
      roundTensor(tf, q, p),
      roundTensor(tf, k, p),
      roundTensor(tf, v, p),
      ...(bias ? [bias] : []),
      ...(sinks ? [sinks] : []),
    ];
    const out = roundTensor(tf, attend(...inputs) as Tensor4D, p);
    // A fresh handle on the kept lse, tracked by this scope like any result (a kept one would escape
    // every enclosing tidy, e.g. a valueAndGrads that drops the lse).
    const lse = tf.reshape(lseOut!, [B, Hq, Sq]);
    lseOut!.dispose();
    return { out, lse };
  });
}
