/**
 * flashAttnFunc, flash-attn's native interface (BSHD, bottom-right causal, windowSize, dropout
 * seed), against the float64 reference; empty rows, junk in padded keys, block-size independence,
 * rounding, errors and leaks.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend/index.js';
import {
  type AttentionOptions,
  FLOAT32_REL_BOUND,
  type HostTensor,
  maxAbsDiff,
  maxRelError,
  roundArray,
} from '../../src/contract/index.js';
import { runAttentionKernel } from '../../src/execute/index.js';
import { referenceAttention, referenceAttentionForward } from '../../src/reference/index.js';
import { makeInputs, optionsFor, shapesOf } from '../../test/support/flashTesting.js';
import { flashKernelWith } from './adapter.js';
import { type FlashAttnOptions, flashAttnFunc, flashAttnFuncWithLse } from './flash.js';

/** BHSD host tensor -> BSHD tfjs tensor. */
function bshd(t: HostTensor): Tensor4D {
  return tf.tidy(() =>
    tf.transpose(tf.tensor4d(Float32Array.from(t.data), t.shape as [number, number, number, number]), [0, 2, 1, 3]),
  );
}

/** BSHD tfjs tensor -> BHSD host tensor. */
function host(t: Tensor): HostTensor {
  const x = tf.transpose(t, [0, 2, 1, 3]);
  const out = { shape: x.shape, data: Float64Array.from(x.dataSync()) };
  x.dispose();
  return out;
}

/** Out and grads of sum(out ∘ dOut) through flashAttnFunc, in contract layout. */
function runNative(inputs: ReturnType<typeof makeInputs>, o: FlashAttnOptions) {
  return tf.tidy(() => {
    const [q, k, v, dOut] = [inputs.q, inputs.k, inputs.v, inputs.dOut].map(bshd) as Tensor4D[];
    let out: HostTensor | null = null;
    const grads = tf.grads((qq: Tensor, kk: Tensor, vv: Tensor) => {
      const o4 = flashAttnFunc(qq as Tensor4D, kk as Tensor4D, vv as Tensor4D, o);
      out = host(o4);
      return tf.sum(tf.mul(o4, dOut!));
    })([q!, k!, v!]);
    const [dq, dk, dv] = grads.map(host);
    return { out: out!, dq: dq!, dk: dk!, dv: dv! } as never;
  }) as unknown as { out: HostTensor; dq: HostTensor; dk: HostTensor; dv: HostTensor };
}

function expectMatches(
  got: ReturnType<typeof runNative>,
  ref: ReturnType<typeof referenceAttention>,
  bound = FLOAT32_REL_BOUND,
) {
  for (const n of ['out', 'dq', 'dk', 'dv'] as const) expect(maxRelError(got[n], ref[n]), n).toBeLessThanOrEqual(bound);
}

describe('flashAttnFunc (BSHD, flash-attn semantics)', () => {
  it('bottom-right causal, window, GQA, dropout and softmaxScale match the reference', () => {
    const s = shapesOf(2, 6, 2, 5, 8, 3, 2);
    const inputs = makeInputs(s, 'native');
    const cases: Array<[FlashAttnOptions, Partial<AttentionOptions>]> = [
      [{}, {}],
      [{ causal: true }, { causal: 'bottom-right' }],
      [{ windowSize: [2, 1] }, { window: [2, 1] }],
      [
        { causal: true, windowSize: [1, -1], Br: 2, Bc: 3 },
        { causal: 'bottom-right', window: [1, -1] },
      ],
      [
        { softmaxScale: 0.3, dropoutP: 0.25, dropoutSeed: 5, Br: 3, Bc: 1 },
        { scale: 0.3, dropout: { p: 0.25, seed: 5 } },
      ],
    ];
    const before = tf.memory().numTensors;
    for (const [native, contract] of cases)
      expectMatches(runNative(inputs, native), referenceAttention(inputs, optionsFor(s, contract)));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rows with no visible key give output 0 and zero gradients, never NaN', () => {
    // Sq > Sk with bottom-right causal: queries 0..3 sit above the diagonal and see nothing.
    const s = shapesOf(1, 2, 1, 6, 2, 3);
    const inputs = makeInputs(s, 'empty');
    const got = runNative(inputs, { causal: true, Br: 4, Bc: 1 });
    const ref = referenceAttention(inputs, optionsFor(s, { causal: 'bottom-right' }));
    expectMatches(got, ref);
    for (const n of ['out', 'dq'] as const) {
      for (let h = 0; h < 2; h++) for (let n0 = 0; n0 < 4 * 3; n0++) expect(got[n].data[h * 6 * 3 + n0]).toBe(0);
    }
  });

  it('NaN and huge values in padded keys never reach outputs or gradients', () => {
    const s = shapesOf(2, 2, 1, 4, 6, 3);
    const clean = makeInputs(s, 'junk');
    const k = Float64Array.from(clean.k.data);
    const v = Float64Array.from(clean.v.data);
    // batch row 1 keeps keys 0..2 (right padding): poison keys 3..5 of that row.
    for (let j = 3; j < 6; j++)
      for (let d = 0; d < 3; d++) {
        k[(6 + j) * 3 + d] = NaN;
        v[(6 + j) * 3 + d] = j === 4 ? 1e30 : NaN;
      }
    const inputs = { ...clean, k: { shape: clean.k.shape, data: k }, v: { shape: clean.v.shape, data: v } };
    const opts = optionsFor(s, { keyLengths: [6, 3], causal: 'top-left' });
    const got = runAttentionKernel(flashKernelWith({ Br: 2, Bc: 2 }), inputs, opts);
    const ref = referenceAttention(inputs, opts);
    for (const n of ['out', 'dq'] as const)
      expect(maxRelError(got[n], ref[n]), n).toBeLessThanOrEqual(FLOAT32_REL_BOUND);
    // dk/dv at the poisoned keys are 0 in the reference; the rest must match too.
    for (const n of ['dk', 'dv'] as const) expect(maxAbsDiff(got[n], ref[n]), n).toBeLessThan(1e-5);
  });

  it('does not depend on its block sizes', () => {
    const s = shapesOf(1, 4, 2, 7, 9, 3);
    const inputs = makeInputs(s, 'blocks');
    const base = runNative(inputs, { causal: true, windowSize: [3, 1], Br: 64, Bc: 64 });
    for (const [Br, Bc] of [
      [1, 1],
      [2, 3],
      [3, 16],
      [16, 2],
      [7, 9],
    ]) {
      const got = runNative(inputs, { causal: true, windowSize: [3, 1], Br, Bc });
      for (const n of ['out', 'dq', 'dk', 'dv'] as const)
        expect(maxRelError(got[n], base[n]), `${n} Br=${Br} Bc=${Bc}`).toBeLessThan(1e-6);
    }
  });

  it('bfloat16 output is exactly representable in bfloat16 (rounded on the way out)', () => {
    const s = shapesOf(1, 2, 1, 3, 4, 3);
    const got = runNative(makeInputs(s, 'bf16', 'bfloat16'), { precision: 'bfloat16' });
    expect(Array.from(roundArray('bfloat16', got.out.data))).toEqual(Array.from(got.out.data));
    expect(Array.from(roundArray('bfloat16', got.dq.data))).toEqual(Array.from(got.dq.data));
  });

  it('rejects bad block sizes and shapes with the field and the rule', () => {
    const q = tf.zeros([1, 2, 3, 4]) as Tensor4D;
    const k = tf.zeros([1, 2, 2, 4]) as Tensor4D;
    expect(() => flashAttnFunc(q, q, q, { Br: 0 })).toThrow(/flashAttnFunc: Br: must be a positive integer, got 0/);
    expect(() => flashAttnFunc(q, k, k)).toThrow(/Hq=3 must be a multiple of Hkv=2/);
    expect(() => flashAttnFunc(q, q, q, { dropoutP: 1 })).toThrow(/dropoutP: must be in \[0, 1\)/);
    tf.dispose([q, k]);
  });

  it('softmaxLse matches the reference, and K/V chunks merged by lse equal the whole', () => {
    const s = shapesOf(1, 4, 2, 5, 8, 3, 2);
    const inputs = makeInputs(s, 'lse');
    const ref = referenceAttentionForward(inputs, optionsFor(s, { causal: 'bottom-right' }));
    const before = tf.memory().numTensors;
    const [q, k, v] = [inputs.q, inputs.k, inputs.v].map(bshd) as Tensor4D[];
    const whole = flashAttnFuncWithLse(q!, k!, v!, { causal: true, Br: 2, Bc: 3 });
    const lse = { shape: whole.softmaxLse.shape, data: Float64Array.from(whole.softmaxLse.dataSync()) };
    expect(maxAbsDiff(lse, ref.lse)).toBeLessThan(1e-5);
    // Keys 0..3 and 4..7 as two calls (no causal: the diagonal would move), merged by their lse.
    const full = flashAttnFuncWithLse(q!, k!, v!, { Br: 2, Bc: 3 });
    const halves = [0, 4].map((j0) =>
      tf.tidy(() =>
        flashAttnFuncWithLse(
          q!,
          tf.slice(k!, [0, j0, 0, 0], [-1, 4, -1, -1]),
          tf.slice(v!, [0, j0, 0, 0], [-1, 4, -1, -1]),
        ),
      ),
    );
    const merged = tf.tidy(() => {
      const lses = halves.map((h) => tf.expandDims(tf.transpose(h.softmaxLse, [0, 2, 1]), -1)); // [B, Sq, Hq, 1]
      const m = tf.logSumExp(tf.concat(lses, -1), -1, true);
      return tf.addN(halves.map((h, n) => tf.mul(h.out, tf.exp(tf.sub(lses[n]!, m)))));
    });
    expect(maxRelError(host(merged), host(full.out))).toBeLessThan(1e-6);
    tf.dispose([
      q!,
      k!,
      v!,
      whole.out,
      whole.softmaxLse,
      full.out,
      full.softmaxLse,
      merged,
      ...halves.flatMap((h) => [h.out, h.softmaxLse]),
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
