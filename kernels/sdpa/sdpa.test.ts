import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend/index.js';
import {
  ATTENTION_TENSORS,
  defaultOptions,
  FLOAT32_REL_BOUND,
  roundArray,
  UNIT_ROUNDOFF,
} from '../../src/contract/index.js';
import { runAttentionKernel } from '../../src/execute/index.js';
import {
  FINITE_CONTRACT_CASES,
  LOW_PRECISION_REL_BOUND,
  makeInputs,
  measureAgainstReference,
  NAN_JUNK_CASES,
} from '../../test/support/contractCases.js';
import { onlyTopLeftCausal, scaledDotProductAttention, sdpaKernel } from './index.js';

describe('sdpa matches the float64 reference in float32', () => {
  for (const c of FINITE_CONTRACT_CASES) {
    it(c.name, () => {
      const { errors, leaked } = measureAgainstReference(sdpaKernel, c);
      for (const t of ATTENTION_TENSORS) expect(errors[t], t).toBeLessThanOrEqual(FLOAT32_REL_BOUND);
      expect(leaked).toBe(0);
    });
  }
});

describe("sdpa reads keys no query may see, as PyTorch's math SDPA does (P·V over all keys)", () => {
  it(
    'so NaN junk there reaches the output as 0·NaN: it promises nothing about unseen keys, and attnfuzz ' +
      'writes only finite junk for it',
    () => {
      expect(sdpaKernel.guarantees?.unseenKeysUnread).not.toBe(true);
      for (const c of NAN_JUNK_CASES) expect(measureAgainstReference(sdpaKernel, c).errors.out, c.name).toBe(Infinity);
    },
  );
});

describe('sdpa matches the float64 reference in bfloat16 and float16', () => {
  for (const precision of ['bfloat16', 'float16'] as const) {
    for (const c of FINITE_CONTRACT_CASES) {
      it(`${precision}: ${c.name}`, () => {
        const { errors, leaked } = measureAgainstReference(sdpaKernel, c, precision);
        for (const t of ATTENTION_TENSORS)
          expect(errors[t], t).toBeLessThanOrEqual(LOW_PRECISION_REL_BOUND[t] * UNIT_ROUNDOFF[precision]);
        expect(leaked).toBe(0);
      });
    }
  }
});

describe('sdpa emulates low precision', () => {
  it('returns the output and every gradient as float16 values', () => {
    const shapes = { B: 1, Hq: 3, Hkv: 1, Sq: 2, Sk: 5, D: 3, Dv: 4 };
    const opts = { ...defaultOptions(shapes), causal: 'top-left' as const };
    const res = runAttentionKernel(sdpaKernel, makeInputs(shapes, 'fp16'), { ...opts, precision: 'float16' });
    for (const t of ATTENTION_TENSORS)
      expect(Array.from(res[t].data), t).toEqual(Array.from(roundArray('float16', res[t].data)));
    const f32 = runAttentionKernel(sdpaKernel, makeInputs(shapes, 'fp16'), opts);
    expect(Array.from(f32.out.data)).not.toEqual(Array.from(roundArray('float16', f32.out.data)));
  });
});

/** Output and gradients of sum(sdpa(q, k, v) ∘ 1) for native options. */
function runNative(
  q: Tensor4D,
  k: Tensor4D,
  v: Tensor4D,
  options: Parameters<typeof scaledDotProductAttention>[3],
): Float32Array[] {
  return tf.tidy(() => {
    const f = (qq: Tensor, kk: Tensor, vv: Tensor) =>
      tf.sum(scaledDotProductAttention(qq as Tensor4D, kk as Tensor4D, vv as Tensor4D, options));
    const out = scaledDotProductAttention(q, k, v, options);
    const grads = tf.grads(f as (...x: Tensor[]) => Tensor)([q, k, v]);
    return [out, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

describe('sdpa native interface (PyTorch semantics)', () => {
  it('isCausal is top-left: a decode step (Sq = 1) sees only key 0', () => {
    tf.tidy(() => {
      const q = tf.randomNormal([1, 2, 1, 4]) as Tensor4D;
      const k = tf.randomNormal([1, 2, 5, 4]) as Tensor4D;
      const v = tf.randomNormal([1, 2, 5, 3]) as Tensor4D;
      const out = scaledDotProductAttention(q, k, v, { isCausal: true });
      const key0 = tf.slice(v, [0, 0, 0, 0], [1, 2, 1, 3]);
      expect(Array.from(out.dataSync())).toEqual(Array.from(key0.dataSync()));
      // Not vacuously: without isCausal the step sees every key.
      const full = scaledDotProductAttention(q, k, v);
      expect(Array.from(full.dataSync())).not.toEqual(Array.from(key0.dataSync()));
    });
  });

  it('throws when both attnMask and isCausal are given, as PyTorch does', () => {
    tf.tidy(() => {
      const x = tf.zeros([1, 1, 2, 2]) as Tensor4D;
      const mask = tf.ones([1, 1, 2, 2], 'bool');
      expect(() => scaledDotProductAttention(x, x, x, { attnMask: mask, isCausal: true })).toThrow(
        /attnMask and isCausal/,
      );
    });
  });

  it('throws on fewer key heads unless enableGqa', () => {
    tf.tidy(() => {
      const q = tf.zeros([1, 4, 2, 2]) as Tensor4D;
      const kv = tf.zeros([1, 2, 2, 2]) as Tensor4D;
      expect(() => scaledDotProductAttention(q, kv, kv)).toThrow(/enableGqa/);
      expect(scaledDotProductAttention(q, kv, kv, { enableGqa: true }).shape).toEqual([1, 4, 2, 2]);
    });
  });

  it('an additive 0/-inf mask equals the boolean mask; an all -inf row gives 0 and finite gradients', () => {
    const allowed = [1, 0, 1, 0, 0, 0, 1, 1, 1]; // row 1 sees nothing
    const [q, k, v, boolMask, floatMask] = [
      tf.randomNormal([1, 1, 3, 2]) as Tensor4D,
      tf.randomNormal([1, 1, 3, 2]) as Tensor4D,
      tf.randomNormal([1, 1, 3, 2]) as Tensor4D,
      tf.tensor2d(allowed, [3, 3], 'bool'),
      tf.tensor2d(
        allowed.map((a) => (a ? 0 : -Infinity)),
        [3, 3],
      ),
    ];
    const byBool = runNative(q, k, v, { attnMask: boolMask });
    const byFloat = runNative(q, k, v, { attnMask: floatMask });
    tf.dispose([q, k, v, boolMask, floatMask]);
    expect(byFloat.map((t) => Array.from(t))).toEqual(byBool.map((t) => Array.from(t)));
    expect(Array.from(byBool[0]!.slice(2, 4))).toEqual([0, 0]); // row 1 of out [1,1,3,2]
    expect(byBool.every((t) => t.every(Number.isFinite))).toBe(true);
  });

  it('the adapter passes isCausal only when top-left causality is the only restriction', () => {
    const base = { causal: 'top-left', window: null, keyLengths: null, mask: null } as const;
    expect(onlyTopLeftCausal(base, 4)).toBe(true);
    expect(onlyTopLeftCausal({ ...base, keyLengths: [4, 4] }, 4)).toBe(true); // unpadded batch
    expect(onlyTopLeftCausal({ ...base, window: [-1, -1] }, 4)).toBe(true);
    expect(onlyTopLeftCausal({ ...base, causal: 'bottom-right' }, 4)).toBe(false);
    expect(onlyTopLeftCausal({ ...base, causal: 'none' }, 4)).toBe(false);
    expect(onlyTopLeftCausal({ ...base, keyLengths: [4, 3] }, 4)).toBe(false);
    expect(onlyTopLeftCausal({ ...base, window: [2, -1] }, 4)).toBe(false);
    const mask = tf.ones([1, 1, 1, 1], 'bool') as Tensor4D;
    expect(onlyTopLeftCausal({ ...base, mask }, 4)).toBe(false);
    mask.dispose();
  });
});
