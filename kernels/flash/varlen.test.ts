/**
 * flashAttnVarlenFunc: packed sequences equal one flashAttnFunc call per sequence (forward and
 * gradients), each sequence attends only within itself, and dropout counts sequences as batch rows.
 */
import type { Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend/index.js';
import { type FlashAttnOptions, flashAttnFunc } from './flash.js';
import { flashAttnVarlenFunc } from './varlen.js';

function seeded(shape: number[], seed: number): Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

function cumsum(lens: number[]): number[] {
  const cu = [0];
  for (const l of lens) cu.push(cu[cu.length - 1]! + l);
  return cu;
}

/** Out and grads of sum(out ∘ dOut) for a function of (q, k, v), as flat arrays. */
function valueAndGrads(
  f: (q: Tensor, k: Tensor, v: Tensor) => Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  dOut: Tensor,
): Float32Array[] {
  return tf.tidy(() => {
    let out: Float32Array | null = null;
    const g = tf.grads((qq: Tensor, kk: Tensor, vv: Tensor) => {
      const o = f(qq, kk, vv);
      out = o.dataSync() as Float32Array;
      return tf.sum(tf.mul(o, dOut));
    })([q, k, v]);
    return [out!, ...g.map((t) => t.dataSync() as Float32Array)];
  });
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let n = 0; n < a.length; n++) m = Math.max(m, Number.isNaN(a[n]! - b[n]!) ? Infinity : Math.abs(a[n]! - b[n]!));
  return m;
}

describe('flashAttnVarlenFunc', () => {
  const Hq = 4,
    Hkv = 2,
    D = 3,
    Dv = 2;
  const lensQ = [3, 1, 5, 2];
  const lensK = [4, 6, 2, 0];
  const cuQ = cumsum(lensQ),
    cuK = cumsum(lensK);

  it('equals one flashAttnFunc call per sequence, forward and backward', () => {
    const before = tf.memory().numTensors;
    const q = seeded([cuQ[4]!, Hq, D], 1),
      k = seeded([cuK[4]!, Hkv, D], 2),
      v = seeded([cuK[4]!, Hkv, Dv], 3);
    const dOut = seeded([cuQ[4]!, Hq, Dv], 4);
    for (const o of [{}, { causal: true, Br: 2, Bc: 1 }, { windowSize: [1, 0], Br: 1, Bc: 3 }] as FlashAttnOptions[]) {
      const packed = valueAndGrads(
        (qq, kk, vv) =>
          flashAttnVarlenFunc(qq as Tensor3D, kk as Tensor3D, vv as Tensor3D, {
            ...o,
            cuSeqlensQ: cuQ,
            cuSeqlensK: cuK,
            maxSeqlenQ: 5,
            maxSeqlenK: 6,
          }),
        q,
        k,
        v,
        dOut,
      );
      const perSeq = valueAndGrads(
        (qq, kk, vv) => {
          const outs = lensQ.map((lq, b) => {
            const lk = lensK[b]!;
            if (lk === 0) return tf.zeros([lq, Hq, Dv]);
            const seq = (x: Tensor, c: number[], len: number) =>
              tf.expandDims(tf.slice(x, [c[b]!, 0, 0], [len, -1, -1]), 0) as Tensor4D;
            return tf.squeeze(flashAttnFunc(seq(qq, cuQ, lq), seq(kk, cuK, lk), seq(vv, cuK, lk), o), [0]);
          });
          return tf.concat(outs, 0);
        },
        q,
        k,
        v,
        dOut,
      );
      for (const [n, t] of packed.entries()) expect(maxDiff(t, perSeq[n]!), `tensor ${n}`).toBeLessThan(1e-6);
      // The empty-key sequence gives zeros, never NaN.
      expect(Array.from(packed[0]!.slice(cuQ[3]! * Hq * Dv))).toEqual(new Array(lensQ[3]! * Hq * Dv).fill(0));
    }
    tf.dispose([q, k, v, dOut]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with dropout, equal-length sequences match the batched call (sequence index = batch row)', () => {
    const B = 3,
      S = 4;
    const q = seeded([B, S, Hq, D], 5),
      k = seeded([B, S, Hkv, D], 6),
      v = seeded([B, S, Hkv, Dv], 7);
    const dOut = seeded([B, S, Hq, Dv], 8);
    const o: FlashAttnOptions = { dropoutP: 0.4, dropoutSeed: 11, causal: true, Br: 3, Bc: 2 };
    const cu = cumsum([S, S, S]);
    const flat = (x: Tensor) => tf.reshape(x, [B * S, x.shape[2]!, x.shape[3]!]);
    const batched = valueAndGrads(
      (qq, kk, vv) => flashAttnFunc(qq as Tensor4D, kk as Tensor4D, vv as Tensor4D, o),
      q,
      k,
      v,
      dOut,
    );
    const packed = valueAndGrads(
      (qq, kk, vv) =>
        flashAttnVarlenFunc(flat(qq) as Tensor3D, flat(kk) as Tensor3D, flat(vv) as Tensor3D, {
          ...o,
          cuSeqlensQ: cu,
          cuSeqlensK: cu,
          maxSeqlenQ: S,
          maxSeqlenK: S,
        }),
      q,
      k,
      v,
      flat(dOut),
    );
    for (const [n, t] of packed.entries()) expect(maxDiff(t, batched[n]!), `tensor ${n}`).toBeLessThan(1e-6);
    tf.dispose([q, k, v, dOut]);
  });

  it('rejects inconsistent cumulative lengths with the field and the rule', () => {
    const q = tf.zeros([5, 2, 3]) as Tensor3D;
    const call = (cu: number[], max = 5) =>
      flashAttnVarlenFunc(q, q, q, { cuSeqlensQ: cu, cuSeqlensK: [0, 2, 5], maxSeqlenQ: max, maxSeqlenK: 5 });
    expect(() => call([0, 2, 4])).toThrow(/cuSeqlensQ: must start at 0 and end at the token count 5/);
    expect(() => call([0, 3, 2, 5])).toThrow(/cuSeqlensQ: must be non-decreasing integers, got \[0, 3, 2, 5\]/);
    expect(() => call([0, 5])).toThrow(/cuSeqlensK: must have batch \+ 1 = 2 entries, got 3/);
    expect(() => call([0, 4, 5], 3)).toThrow(/cuSeqlensQ: sequence 0 has length 4 > max 3/);
    q.dispose();
  });
});
