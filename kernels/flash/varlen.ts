/**
 * `flashAttnVarlenFunc`: flash-attn's flash_attn_varlen_func. Sequences of different lengths are
 * packed without padding along the token dim, and cumulative lengths say where each one starts:
 *
 *   q [totalQ, Hq, D], k [totalK, Hkv, D], v [totalK, Hkv, Dv]  ->  out [totalQ, Hq, Dv]
 *   cuSeqlensQ = [0, 3, 5]: sequence 0 is q rows 0..2, sequence 1 rows 3..4 (length batch + 1)
 *
 *   packed q:   s0 s0 s0 s1 s1           each sequence attends only within itself:
 *   packed k:   s0 s0 s1 s1 s1           sequence b is an independent flash call with
 *                                        Sq = lenQ(b), Sk = lenK(b) (bottom-right causal per sequence)
 *
 * Each sequence runs the same tiled core as flashAttnFunc (so no padding is ever computed), with
 * its batch index b as the dropout counter, as the CUDA kernel offsets Philox by b. A sequence
 * with lenK = 0 gets output 0; one with lenQ = 0 contributes no rows.
 */
import type { Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import * as defaultTf from '@tensorflow/tfjs-core';
import type { TF } from '../../src/contract/index.js';
import { type FlashAttnOptions, flashAttention, resolveCommon } from './flash.js';

export interface FlashAttnVarlenOptions extends FlashAttnOptions {
  /** Cumulative query lengths, length batch + 1, starting at 0 and ending at totalQ. */
  readonly cuSeqlensQ: readonly number[];
  /** Cumulative key lengths, length batch + 1, starting at 0 and ending at totalK. */
  readonly cuSeqlensK: readonly number[];
  /** Longest query / key sequence (flash sizes its grid by them); checked against the lengths. */
  readonly maxSeqlenQ: number;
  readonly maxSeqlenK: number;
}

function checkCu(name: string, cu: readonly number[], total: number, max: number, batch: number): void {
  const where = `flashAttnVarlenFunc: ${name}`;
  if (cu.length !== batch + 1)
    throw new Error(`${where}: must have batch + 1 = ${batch + 1} entries, got ${cu.length}`);
  if (cu[0] !== 0 || cu[batch] !== total)
    throw new Error(`${where}: must start at 0 and end at the token count ${total}, got [${cu.join(', ')}]`);
  for (let b = 0; b < batch; b++) {
    const len = cu[b + 1]! - cu[b]!;
    if (!Number.isInteger(len) || len < 0)
      throw new Error(`${where}: must be non-decreasing integers, got [${cu.join(', ')}]`);
    if (len > max) throw new Error(`${where}: sequence ${b} has length ${len} > max ${max}`);
  }
}

/** flash_attn_varlen_func: packed sequences, each attending only within itself. */
export function flashAttnVarlenFunc(
  q: Tensor3D,
  k: Tensor3D,
  v: Tensor3D,
  options: FlashAttnVarlenOptions,
  tf: TF = defaultTf,
): Tensor3D {
  const r = resolveCommon(options);
  const [totalQ, Hq, D] = q.shape;
  const [totalK] = k.shape;
  const Dv = v.shape[2];
  const batch = options.cuSeqlensQ.length - 1;
  checkCu('cuSeqlensQ', options.cuSeqlensQ, totalQ, options.maxSeqlenQ, batch);
  checkCu('cuSeqlensK', options.cuSeqlensK, totalK, options.maxSeqlenK, batch);
  const scale = options.softmaxScale ?? 1 / Math.sqrt(D);
  return tf.tidy(() => {
    const outs: Tensor[] = [];
    for (let b = 0; b < batch; b++) {
      const q0 = options.cuSeqlensQ[b]!;
      const k0 = options.cuSeqlensK[b]!;
      const lenQ = options.cuSeqlensQ[b + 1]! - q0;
      const lenK = options.cuSeqlensK[b + 1]! - k0;
      if (lenQ === 0) continue;
      if (lenK === 0) {
        outs.push(tf.zeros([lenQ, Hq, Dv]));
        continue;
      }
      const seq = (x: Tensor3D, start: number, len: number) =>
        tf.expandDims(tf.slice(x, [start, 0, 0], [len, -1, -1]), 0) as Tensor4D;
      const out = flashAttention(tf, seq(q, q0, lenQ), seq(k, k0, lenK), seq(v, k0, lenK), {
        scale,
        restrictions: {
          causal: options.causal ? 'bottom-right' : 'none',
          window: r.window,
          keyLengths: null,
          paddingSide: 'right',
          mask: null,
        },
        Br: r.Br,
        Bc: r.Bc,
        dropout: r.p > 0 ? { p: r.p, seed: options.dropoutSeed ?? 0, batchOffset: b } : null,
        precision: r.precision,
      });
      outs.push(tf.squeeze(out, [0]));
    }
    if (outs.length === 0) return tf.zeros([0, Hq, Dv]) as Tensor3D;
    return (outs.length === 1 ? outs[0]! : tf.concat(outs, 0)) as Tensor3D;
  });
}
