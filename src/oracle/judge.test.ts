import { describe, expect, it } from 'vitest';
import { hostTensor, type AttentionResult } from '../contract/index.js';
import { judgeAttention, judgeTensor } from './judge.js';
import { K_T } from './tolerance.js';
import { formatVerdict, summarizeVerdict } from './format.js';

const t = (data: number[], shape = [1, 1, 2, 2]) => hostTensor(shape, data);
const result = (x: number[]): AttentionResult => ({ out: t(x), dq: t(x), dk: t(x), dv: t(x) });

describe('judgeTensor', () => {
  const ref = t([1, 2, 3, 4]);
  it('passes within k_t times the baseline error plus the floor', () => {
    const baseline = t([1, 2, 3, 4.001]);
    const ok = judgeTensor('out', t([1, 2, 3, 4 + 0.001 * K_T.out * 0.99]), ref, baseline, 'float32');
    expect(ok.status).toBe('pass');
    const bad = judgeTensor('out', t([1, 2, 3, 4 + 0.001 * K_T.out * 1.01]), ref, baseline, 'float32');
    expect(bad.status).toBe('mismatch');
  });
  it('reports the worst element with its reference and kernel values, named by axes', () => {
    const v = judgeTensor('dk', t([1, 2.5, 3, 4]), ref, ref, 'float32');
    expect(v).toMatchObject({ status: 'mismatch', ref: 2, got: 2.5, worst: { b: 0, h: 0, i: 0, j: 1, axes: ['key', 'dim'] } });
  });
  it('fails a NaN where the reference is finite, whatever the tolerance', () => {
    const v = judgeTensor('out', t([1, NaN, 3, 4]), ref, t([1e9, 1e9, 1e9, 1e9]), 'bfloat16');
    expect(v).toMatchObject({ status: 'nonfinite', worst: { j: 1 } });
  });
  it('checks the shape before values', () => {
    expect(judgeTensor('dv', t([NaN, 2, 3, 4], [1, 2, 1, 2]), ref, ref, 'float32').status).toBe('shape');
  });
  it('with a failed baseline allows only the floor', () => {
    expect(judgeTensor('out', t([1, 2, 3, 4 + 1e-3]), ref, null, 'float32').status).toBe('mismatch');
    expect(judgeTensor('out', t([1, 2, 3, 4 + 1e-3]), ref, t([NaN, 2, 3, 4]), 'float32').status).toBe('mismatch');
    expect(judgeTensor('out', t([1, 2, 3, 4 + 1e-3]), ref, null, 'bfloat16').status).toBe('pass'); // 2 * 2^-8 * 4 = 0.031
  });
});

describe('judgeAttention', () => {
  it('folds tensors: the most severe failure is reported first', () => {
    const ref = result([1, 2, 3, 4]);
    const kernel = { ...ref, dq: t([1, 2, 3, 5]), dv: t([Infinity, 2, 3, 4]) };
    const v = judgeAttention({ kernel, reference: ref, baseline: ref, precision: 'float32' });
    expect(v.status).toBe('nonfinite');
    if (v.status !== 'nonfinite') throw new Error('unreachable');
    expect(v.failing.tensor).toBe('dv');
    expect(formatVerdict(v)).toHaveLength(4);
    expect(summarizeVerdict(v)).toMatch(/^dv NONFINITE got Infinity where ref=1 @ b=0 h=0 key=0 dim=0$/);
  });
  it('passes identical results', () => {
    const ref = result([1, 2, 3, 4]);
    expect(judgeAttention({ kernel: ref, reference: ref, baseline: ref, precision: 'float32' }).status).toBe('pass');
  });
});
