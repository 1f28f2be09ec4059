import { describe, expect, it } from 'vitest';
import { type AttentionResult, hostTensor } from '../contract/index.js';
import { attentionSpecs } from './attention.js';
import { formatVerdict, summarizeVerdict } from './formatVerdict.js';
import { judge, judgeTensor, type TensorSpec } from './judge.js';

const K_OUT = 2;

import { meets } from './verdict.js';

const t = (data: number[], shape = [1, 1, 2, 2]) => hostTensor(shape, data);
const AXES = ['b', 'h', 'key', 'dim'];
/** A spec with the attention rule for `out` and a fixed floor. */
function spec(
  expected = t([1, 2, 3, 4]),
  baseline: ReturnType<typeof t> | null = null,
  floor = 0,
  name = 'out',
  pass: 'forward' | 'backward' = 'forward',
): TensorSpec {
  return {
    name,
    pass,
    expected,
    baseline,
    axes: AXES,
    allowance: (b) => ({ allowed: K_OUT * (b ?? 0) + floor, floor }),
  };
}

describe('judgeTensor', () => {
  it('passes within k_t times the baseline error plus the floor', () => {
    const baseline = t([1, 2, 3, 4.001]);
    expect(judgeTensor(t([1, 2, 3, 4 + 0.001 * K_OUT * 0.99]), spec(undefined, baseline)).status).toBe('pass');
    expect(judgeTensor(t([1, 2, 3, 4 + 0.001 * K_OUT * 1.01]), spec(undefined, baseline)).status).toBe('mismatch');
  });
  it('reports the worst element with its reference and kernel values, named by axes', () => {
    const v = judgeTensor(t([1, 2.5, 3, 4]), spec());
    expect(v).toMatchObject({ status: 'mismatch', ref: 2, got: 2.5, worst: { index: [0, 0, 0, 1], axes: AXES } });
    expect(summarizeVerdict(judge(new Map([['out', t([1, 2.5, 3, 4])]]), [spec()]))).toMatch(
      /@ b=0 h=0 key=0 dim=1 ref=2 got=2\.5$/,
    );
  });
  it("prints a verdict's cause as its last line and at the end of its summary, nowhere else", () => {
    const v = {
      ...judge(new Map([['out', t([1, NaN, 3, 4])]]), [spec()]),
      cause: 'reads keys it must not see (0·NaN): NaN at key 1',
    };
    expect(formatVerdict(v)).toEqual([
      expect.stringMatching(/^out NONFINITE/),
      'why: reads keys it must not see (0·NaN): NaN at key 1',
    ]);
    expect(summarizeVerdict(v)).toMatch(
      new RegExp(
        '^out NONFINITE got NaN where ref=2 @ b=0 h=0 key=0 dim=1; ' +
          String.raw`why: reads keys it must not see \(0·NaN\): NaN at key 1$`,
      ),
    );
    expect(formatVerdict({ ...v, cause: undefined }).join('\n')).not.toMatch(/why/);
  });
  it('fails a NaN where the reference is finite, whatever the tolerance', () => {
    expect(judgeTensor(t([1, NaN, 3, 4]), spec(undefined, null, 1e9))).toMatchObject({
      status: 'nonfinite',
      worst: { index: [0, 0, 0, 1] },
    });
  });
  it('skips elements where the reference itself is not finite, and elements of weight 0', () => {
    expect(judgeTensor(t([1, 7, 3, 4]), spec(t([1, Infinity, 3, 4]))).status).toBe('pass');
    expect(judgeTensor(t([1, 7, 3, 4]), { ...spec(), weight: [1, 0, 1, 1] }).status).toBe('pass');
  });
  it('checks the shape before values, and a missing tensor is a shape failure', () => {
    expect(judgeTensor(t([NaN, 2, 3, 4], [1, 2, 1, 2]), spec()).status).toBe('shape');
    expect(judgeTensor(undefined, spec())).toMatchObject({ status: 'shape', received: [] });
  });
  it('with no usable baseline allows only the floor', () => {
    expect(judgeTensor(t([1, 2, 3, 4 + 1e-3]), spec(undefined, null, 1e-4)).status).toBe('mismatch');
    expect(judgeTensor(t([1, 2, 3, 4 + 1e-3]), spec(undefined, t([NaN, 2, 3, 4]), 1e-4))).toMatchObject({
      status: 'mismatch',
      baselineError: null,
    });
    expect(judgeTensor(t([1, 2, 3, 4 + 1e-3]), spec(undefined, null, 2e-3)).status).toBe('pass');
  });
});

describe('judge', () => {
  const ref = (x: number[]): AttentionResult => ({ out: t(x), dq: t(x), dk: t(x), dv: t(x) });
  const m = {
    shapes: { B: 1, Hq: 1, Hkv: 1, Sq: 2, Sk: 2, D: 2, Dv: 2 },
    options: {
      scale: 1,
      causal: 'none',
      window: null,
      keyLengths: null,
      paddingSide: 'right',
      mask: null,
      dropout: null,
      precision: 'float32',
    },
    inputs: { q: t([1, 1, 1, 1]), k: t([1, 1, 1, 1]), v: t([1, 1, 1, 1]), dOut: t([1, 1, 1, 1]) },
  } as const;
  const specs = attentionSpecs(m, ref([1, 2, 3, 4]), ref([1, 2, 3, 4]), {
    terms: { out: 1, dq: 1, dk: 1, dv: 1 },
    mass: { out: 1, dq: 1, dk: 1, dv: 1 },
    logit: 1,
  });
  const tensors = (r: AttentionResult) => new Map(Object.entries(r));

  it('folds tensors: the most severe failure is reported first', () => {
    const v = judge(tensors({ ...ref([1, 2, 3, 4]), dq: t([1, 2, 3, 5]), dv: t([Infinity, 2, 3, 4]) }), specs);
    expect(v).toMatchObject({ status: 'nonfinite', failing: { tensor: 'dv' } });
    expect(formatVerdict(v)).toHaveLength(4);
    expect(summarizeVerdict(v)).toMatch(/^dv NONFINITE got Infinity where ref=1 @ b=0 h=0 key=0 dim=0$/);
    expect(meets(v, { kind: 'nonfinite', tensor: 'dv' })).toBe(true);
    expect(meets(v, { kind: 'nonfinite', tensor: 'dq' })).toBe(false);
    expect(meets(v, { kind: 'mismatch' })).toBe(false);
  });
  it('a broken forward output leaves the gradients unjudged instead of reporting misleading mismatches', () => {
    const v = judge(tensors({ ...ref([1, 2, 3, 4]), out: t([NaN, 2, 3, 4]), dv: t([9, 9, 9, 9]) }), specs);
    expect(v).toMatchObject({ status: 'nonfinite', failing: { tensor: 'out' } });
    expect(formatVerdict(v).slice(1)).toEqual([
      'dq not judged: out failed',
      'dk not judged: out failed',
      'dv not judged: out failed',
    ]);
    const shaped = judge(tensors({ ...ref([1, 2, 3, 4]), out: t([1, 2], [1, 1, 1, 2]) }), specs);
    expect(shaped).toMatchObject({ status: 'shape', failing: { tensor: 'out' } });
    expect(formatVerdict(shaped).filter((l) => / MISMATCH /.test(l))).toEqual([]);
  });
  it('passes identical results', () => {
    expect(judge(tensors(ref([1, 2, 3, 4])), specs).status).toBe('pass');
  });
});
