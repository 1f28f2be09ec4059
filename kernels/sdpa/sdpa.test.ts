/** sdpa's native interface (PyTorch's scaled_dot_product_attention); its contract: ../transformersPaths.test.ts. */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend/index.js';
import { onlyTopLeftCausal, scaledDotProductAttention } from './index.js';

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
