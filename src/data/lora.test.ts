import { describe, expect, it } from 'vitest';
import type { LoraCase } from '../case/index.js';
import { roundTo } from '../contract/index.js';
import { materialiseLora } from './lora.js';

const c: LoraCase = {
  version: 1,
  kind: 'lora',
  rank: 2,
  alpha: 4,
  rslora: false,
  dropout: null,
  N: 3,
  in: 4,
  out: 5,
  precision: 'float32',
  seed: 1,
};

describe('materialiseLora', () => {
  it('makes x, W0, A, B, dY with the contract shapes, deterministically', () => {
    const m = materialiseLora(c);
    expect(m.inputs.x.shape).toEqual([3, 4]);
    expect(m.inputs.W0.shape).toEqual([5, 4]);
    expect(m.inputs.A.shape).toEqual([2, 4]);
    expect(m.inputs.B.shape).toEqual([5, 2]);
    expect(m.inputs.dY.shape).toEqual([3, 5]);
    expect(m.spec).toEqual({ rank: 2, alpha: 4, rslora: false, dropout: null, precision: 'float32' });
    expect(materialiseLora({ ...c })).toEqual(m);
  });

  it('zeros B only when bZero, leaving the other tensors unchanged', () => {
    const m = materialiseLora(c);
    const z = materialiseLora({ ...c, bZero: true });
    expect(Array.from(z.inputs.B.data).every((x) => x === 0)).toBe(true);
    expect(Array.from(m.inputs.B.data).some((x) => x !== 0)).toBe(true);
    for (const t of ['x', 'W0', 'A', 'dY'] as const) expect(z.inputs[t]).toEqual(m.inputs[t]);
    // A new rank changes A and B only.
    const r3 = materialiseLora({ ...c, rank: 3 });
    expect(r3.inputs.x).toEqual(m.inputs.x);
    expect(r3.inputs.W0).toEqual(m.inputs.W0);
  });

  it('rounds to the case precision', () => {
    const m = materialiseLora({ ...c, precision: 'bfloat16' });
    for (const x of m.inputs.x.data) expect(roundTo('bfloat16', x)).toBe(x);
  });
});
