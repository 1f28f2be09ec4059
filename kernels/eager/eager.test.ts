import type { Tensor4D } from '@tensorflow/tfjs-core';
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
import { eagerAttentionForward, eagerKernel, MASK_MIN, repeatKv } from './index.js';

describe('eager matches the float64 reference in float32', () => {
  for (const c of FINITE_CONTRACT_CASES) {
    it(c.name, () => {
      const { errors, leaked } = measureAgainstReference(eagerKernel, c);
      for (const t of ATTENTION_TENSORS) expect(errors[t], t).toBeLessThanOrEqual(FLOAT32_REL_BOUND);
      expect(leaked).toBe(0);
    });
  }
});

describe("eager reads keys no query may see, as transformers' eager does (P·V over all keys)", () => {
  it(
    'so NaN junk there reaches the output as 0·NaN: it promises nothing about unseen keys, and attnfuzz ' +
      'writes only finite junk for it',
    () => {
      expect(eagerKernel.guarantees?.unseenKeysUnread).not.toBe(true);
      for (const c of NAN_JUNK_CASES) expect(measureAgainstReference(eagerKernel, c).errors.out, c.name).toBe(Infinity);
    },
  );
});

describe('eager matches the float64 reference in bfloat16 and float16', () => {
  for (const precision of ['bfloat16', 'float16'] as const) {
    for (const c of FINITE_CONTRACT_CASES) {
      it(`${precision}: ${c.name}`, () => {
        const { errors, leaked } = measureAgainstReference(eagerKernel, c, precision);
        for (const t of ATTENTION_TENSORS)
          expect(errors[t], t).toBeLessThanOrEqual(LOW_PRECISION_REL_BOUND[t] * UNIT_ROUNDOFF[precision]);
        expect(leaked).toBe(0);
      });
    }
  }
});

describe('eager emulates low precision', () => {
  it('returns the output and every gradient as bfloat16 values', () => {
    const shapes = { B: 1, Hq: 2, Hkv: 1, Sq: 3, Sk: 4, D: 5, Dv: 3 };
    const res = runAttentionKernel(eagerKernel, makeInputs(shapes, 'bf16'), {
      ...defaultOptions(shapes),
      precision: 'bfloat16',
      causal: 'bottom-right',
    });
    for (const t of ATTENTION_TENSORS)
      expect(Array.from(res[t].data), t).toEqual(Array.from(roundArray('bfloat16', res[t].data)));
    // Not vacuously: some output is not a bfloat16 value in float32.
    const f32 = runAttentionKernel(eagerKernel, makeInputs(shapes, 'bf16'), {
      ...defaultOptions(shapes),
      causal: 'bottom-right',
    });
    expect(Array.from(f32.out.data)).not.toEqual(Array.from(roundArray('bfloat16', f32.out.data)));
  });
});

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
