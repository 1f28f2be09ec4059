/** eager's native interface (transformers' eager_attention_forward); its contract: ../transformersPaths.test.ts. */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend/index.js';
import { eagerAttentionForward, MASK_MIN, repeatKv } from './index.js';

describe('eager native interface', () => {
  it('repeat_kv repeats each kv head in place (repeat_interleave, not repeat)', () => {
    const kv = tf.tensor4d([1, 2, 3], [1, 3, 1, 1]);
    const repeated = repeatKv(kv, 2);
    expect(repeated.shape).toEqual([1, 6, 1, 1]);
    expect(Array.from(repeated.dataSync())).toEqual([1, 1, 2, 2, 3, 3]);
    tf.dispose([kv, repeated]);
  });

  it('returns transformers layout [B, Sq, Hq, Dv] and weights [B, Hq, Sq, Sk]', () => {
    tf.tidy(() => {
      const q = tf.randomNormal([2, 4, 3, 5], 0, 1, 'float32', 1) as Tensor4D;
      const kv = tf.randomNormal([2, 2, 6, 5], 0, 1, 'float32', 2) as Tensor4D;
      const [out, weights] = eagerAttentionForward(q, kv, kv, null, { scaling: 0.5, numKeyValueGroups: 2 });
      expect(out.shape).toEqual([2, 3, 4, 5]);
      expect(weights.shape).toEqual([2, 4, 3, 6]);
    });
  });

  it('a row masked with -Inf or MASK_MIN gives output 0 and finite zero gradients', () => {
    const [out, dq, dk] = tf.tidy(() => {
      const q = tf.randomNormal([1, 1, 2, 3], 0, 1, 'float32', 3) as Tensor4D;
      const k = tf.randomNormal([1, 1, 2, 3], 0, 1, 'float32', 4) as Tensor4D;
      // Row 0 sees nothing (-Inf and MASK_MIN), row 1 sees key 0.
      const mask = tf.tensor4d([-Infinity, MASK_MIN, 0, -Infinity], [1, 1, 2, 2]);
      const f = (qq: Tensor4D, kk: Tensor4D) =>
        tf.sum(eagerAttentionForward(qq, kk, kk, mask, { scaling: 1, numKeyValueGroups: 1 })[0]);
      const o = eagerAttentionForward(q, k, k, mask, { scaling: 1, numKeyValueGroups: 1 })[0];
      const [gq, gk] = tf.grads(f as (...x: tf.Tensor[]) => tf.Tensor)([q, k]);
      return [o.dataSync(), gq!.dataSync(), gk!.dataSync()];
    });
    expect(Array.from(out.slice(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(dq.slice(0, 3))).toEqual([0, 0, 0]);
    expect([...out, ...dq, ...dk].every(Number.isFinite)).toBe(true);
  });
});
