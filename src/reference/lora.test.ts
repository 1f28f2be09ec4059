import { describe, expect, it } from 'vitest';
import { dropoutKeep, type LoraInputs, type LoraSpec, maxAbs, maxRelError } from '../contract/index.js';
import { dot, numericalGradient, randomTensor, seededRng } from './gradcheck.js';
import { referenceLora, referenceLoraMergedWeight } from './index.js';

function makeInputs(N: number, In: number, Out: number, r: number, seed: string): LoraInputs {
  const rng = seededRng(seed);
  return {
    x: randomTensor(rng, [N, In]),
    W0: randomTensor(rng, [Out, In]),
    A: randomTensor(rng, [r, In]),
    B: randomTensor(rng, [Out, r]),
    dY: randomTensor(rng, [N, Out]),
  };
}

const spec = (rank: number, extra: Partial<LoraSpec> = {}): LoraSpec => ({
  rank,
  alpha: 2 * rank,
  rslora: false,
  dropout: null,
  ...extra,
});

const cases: Array<[string, [number, number, number, number], LoraSpec]> = [
  ['rank 1', [3, 4, 5, 1], spec(1)],
  ['rank 3, alpha/r', [4, 5, 3, 3], spec(3, { alpha: 5 })],
  ['rank 4, rsLoRA alpha/sqrt(r)', [2, 6, 4, 4], spec(4, { alpha: 3, rslora: true })],
  ['dropout p=0.4', [5, 4, 3, 2], spec(2, { dropout: { p: 0.4, seed: 9 } })],
  ['N = 1, in = 1', [1, 1, 3, 2], spec(2)],
];

describe('referenceLora gradients match central finite differences in float64', () => {
  it.each(cases)('%s', (name, [N, In, Out, r], sp) => {
    const inputs = makeInputs(N, In, Out, r, name);
    const res = referenceLora(inputs, sp);
    const loss = () => dot(referenceLora(inputs, sp).y, inputs.dY);
    for (const [t, g, label] of [
      [inputs.x, res.dx, 'dx'],
      [inputs.A, res.dA, 'dA'],
      [inputs.B, res.dB, 'dB'],
    ] as const) {
      const fd = numericalGradient(loss, t);
      expect(g.shape, label).toEqual(t.shape);
      expect(maxAbs(fd), `${label} is not identically 0`).toBeGreaterThan(1e-3);
      expect(maxRelError(g, fd), label).toBeLessThan(1e-7);
    }
  });
});

describe('referenceLora semantics', () => {
  it('y equals x·(W0 + s·B·A)ᵀ without dropout (merged and unmerged agree)', () => {
    const inputs = makeInputs(3, 4, 5, 2, 'merge');
    const sp = spec(2, { alpha: 3 });
    const W = referenceLoraMergedWeight(inputs.W0, inputs.A, inputs.B, sp);
    const merged = referenceLora({ ...inputs, W0: W, B: { shape: [5, 2], data: new Float64Array(10) } }, sp);
    expect(maxRelError(referenceLora(inputs, sp).y, merged.y)).toBeLessThan(1e-15);
  });

  it('scaling is alpha/r for LoRA and alpha/sqrt(r) for rsLoRA', () => {
    const inputs = makeInputs(2, 3, 2, 4, 'scale');
    const base = referenceLora({ ...inputs, B: { shape: [2, 4], data: new Float64Array(8) } }, spec(4)).y;
    const adapter = (rslora: boolean) => {
      const y = referenceLora(inputs, spec(4, { alpha: 8, rslora })).y;
      return y.data.map((v, n) => v - base.data[n]!);
    };
    const [lora, rs] = [adapter(false), adapter(true)];
    // alpha/r = 2, alpha/sqrt(r) = 4: the rsLoRA adapter term is exactly twice the LoRA one.
    for (const [n, v] of lora.entries()) expect(rs[n]).toBeCloseTo(2 * v, 14);
    expect(maxAbs({ shape: [4], data: lora })).toBeGreaterThan(1e-3);
  });

  it('B = 0 gives y = x·W0ᵀ exactly, dA = 0 and dB ≠ 0', () => {
    const inputs = makeInputs(3, 4, 2, 2, 'init');
    const zeroB = { ...inputs, B: { shape: [2, 2], data: new Float64Array(4) } };
    const res = referenceLora(zeroB, spec(2, { dropout: { p: 0.3, seed: 1 } }));
    for (let n = 0; n < 3; n++)
      for (let o = 0; o < 2; o++) {
        let xw = 0;
        for (let f = 0; f < 4; f++) xw += inputs.x.data[n * 4 + f]! * inputs.W0.data[o * 4 + f]!;
        expect(res.y.data[n * 2 + o]).toBe(xw);
      }
    expect(res.dA.data.every((v) => v === 0)).toBe(true);
    expect(maxAbs(res.dB)).toBeGreaterThan(1e-3);
  });

  it('dropout drops element (n, f) of the adapter input iff dropoutKeep(seed, 0, 0, n, f, p) is false', () => {
    // in = 1, r = 1, out = 1, W0 = 0, A = B = 1, alpha = 1: y_n = keep(n)/(1-p) · x_n.
    const N = 16;
    const x = { shape: [N, 1], data: Float64Array.from({ length: N }, (_, n) => n + 1) };
    const one = { shape: [1, 1], data: Float64Array.of(1) };
    const sp = spec(1, { alpha: 1, dropout: { p: 0.5, seed: 42 } });
    const y = referenceLora(
      {
        x,
        W0: { shape: [1, 1], data: Float64Array.of(0) },
        A: one,
        B: one,
        dY: { shape: [N, 1], data: new Float64Array(N) },
      },
      sp,
    ).y;
    const want = Array.from({ length: N }, (_, n) => (dropoutKeep(42, 0, 0, n, 0, 0.5) ? 2 * (n + 1) : 0));
    expect(Array.from(y.data)).toEqual(want);
    expect(want.some((v) => v === 0) && want.some((v) => v !== 0)).toBe(true);
  });

  it('rejects mismatched shapes, naming the tensor', () => {
    const inputs = makeInputs(2, 3, 4, 2, 'bad');
    expect(() => referenceLora(inputs, spec(3))).toThrow(/A\.shape \[2,3\] does not match \[3,3\]/);
  });
});
