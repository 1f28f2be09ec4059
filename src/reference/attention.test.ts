import { describe, expect, it } from 'vitest';
import {
  type AttentionInputs,
  type AttentionOptions,
  defaultOptions,
  dropoutKeep,
  type HostMask,
  maxAbs,
  maxRelError,
} from '../contract/index.js';
import { dot, makeInputs, numericalGradient, type Sizes, seededRng } from './gradcheck.js';
import { referenceAttention, referenceAttentionForward } from './index.js';

function randomMask(shape: [number, number, number, number], seed: string): HostMask {
  const rng = seededRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Uint8Array.from({ length: n }, () => (rng() < 0.6 ? 1 : 0)) };
}

const base: Sizes = { B: 2, Hq: 2, Hkv: 2, Sq: 3, Sk: 4, D: 3, Dv: 3 };

/** Every option of the contract, alone and combined, on tiny shapes. */
const cases: Array<[string, Sizes, Partial<AttentionOptions>]> = [
  ['no restriction', base, {}],
  ['non-default scale', base, { scale: 0.7 }],
  ['causal top-left Sq<Sk', { ...base, Sq: 2, Sk: 5 }, { causal: 'top-left' }],
  ['causal top-left Sq>Sk', { ...base, Sq: 5, Sk: 2 }, { causal: 'top-left' }],
  ['causal top-left Sq=1', { ...base, Sq: 1, Sk: 4 }, { causal: 'top-left' }],
  ['causal bottom-right Sq<Sk', { ...base, Sq: 2, Sk: 5 }, { causal: 'bottom-right' }],
  ['causal bottom-right Sq>Sk (empty rows)', { ...base, Sq: 5, Sk: 2 }, { causal: 'bottom-right' }],
  ['causal bottom-right Sq=1', { ...base, Sq: 1, Sk: 4 }, { causal: 'bottom-right' }],
  ['window [1,0]', { ...base, Sq: 4, Sk: 4 }, { window: [1, 0] }],
  ['window [0,2] Sq<Sk', { ...base, Sq: 3, Sk: 6 }, { window: [0, 2] }],
  ['window [-1,1] + causal', { ...base, Sq: 4, Sk: 5 }, { window: [-1, 1], causal: 'bottom-right' }],
  ['window [2,-1] Sq>Sk', { ...base, Sq: 5, Sk: 3 }, { window: [2, -1] }],
  ['keyLengths right incl. empty batch row', base, { keyLengths: [3, 0], paddingSide: 'right' }],
  ['keyLengths left', base, { keyLengths: [1, 4], paddingSide: 'left' }],
  [
    'keyLengths left + top-left causal (empty rows)',
    { ...base, Sq: 4, Sk: 4 },
    { keyLengths: [2, 3], paddingSide: 'left', causal: 'top-left' },
  ],
  ['mask [1,1,Sq,Sk]', base, { mask: randomMask([1, 1, 3, 4], 'm1') }],
  ['mask [B,1,Sq,Sk]', base, { mask: randomMask([2, 1, 3, 4], 'm2') }],
  ['mask [1,Hq,Sq,Sk]', base, { mask: randomMask([1, 2, 3, 4], 'm3') }],
  ['mask [B,Hq,Sq,Sk] + keyLengths', base, { mask: randomMask([2, 2, 3, 4], 'm4'), keyLengths: [4, 2] }],
  ['GQA 4:1', { ...base, Hq: 4, Hkv: 1 }, {}],
  ['GQA 6:2 + causal', { ...base, B: 1, Hq: 6, Hkv: 2 }, { causal: 'bottom-right' }],
  ['GQA 6:3 + mask over Hq', { ...base, B: 1, Hq: 6, Hkv: 3 }, { mask: randomMask([1, 6, 3, 4], 'm5') }],
  ['Dv != D', { ...base, D: 2, Dv: 5 }, {}],
  ['D = 1', { ...base, D: 1, Dv: 2 }, { causal: 'top-left' }],
  ['dropout p=0.3', base, { dropout: { p: 0.3, seed: 7 } }],
  [
    'dropout p=0.5 + GQA + causal',
    { ...base, Hq: 4, Hkv: 2, Sq: 4, Sk: 4 },
    { dropout: { p: 0.5, seed: 123 }, causal: 'top-left' },
  ],
  [
    'everything at once',
    { B: 2, Hq: 4, Hkv: 2, Sq: 5, Sk: 4, D: 3, Dv: 2 },
    {
      scale: 0.9,
      causal: 'bottom-right',
      window: [2, 1],
      keyLengths: [4, 3],
      paddingSide: 'left',
      mask: randomMask([2, 1, 5, 4], 'm6'),
      dropout: { p: 0.2, seed: 5 },
    },
  ],
];

describe('referenceAttention gradients match central finite differences in float64', () => {
  it.each(cases)('%s', (name, sizes, extra) => {
    const opts: AttentionOptions = { ...defaultOptions(sizes), ...extra };
    const inputs = makeInputs(sizes, name);
    const res = referenceAttention(inputs, opts);
    const loss = () => dot(referenceAttentionForward(inputs, opts).out, inputs.dOut);
    for (const [name, t, g] of [
      ['dq', inputs.q, res.dq],
      ['dk', inputs.k, res.dk],
      ['dv', inputs.v, res.dv],
    ] as const) {
      const fd = numericalGradient(loss, t);
      expect(g.shape, name).toEqual(t.shape);
      // A top-left decode step (Sq = 1) sees only key 0: P = 1 whatever Q and K are, so dQ = dK = 0.
      if (name !== 'dv' && extra.causal === 'top-left' && sizes.Sq === 1) expect(maxAbs(g)).toBe(0);
      else expect(maxAbs(fd), `${name} is not identically 0`).toBeGreaterThan(1e-3);
      expect(maxRelError(g, fd), name).toBeLessThan(1e-7);
    }
    // referenceAttention's own forward agrees with referenceAttentionForward.
    expect(maxRelError(res.out, referenceAttentionForward(inputs, opts).out)).toBe(0);
  });
});

describe('referenceAttention on a hand-computed example (Sq = Sk = 2, D = Dv = 1)', () => {
  // scale = ln 3 makes the softmax of row 0, S = [0, ln 3], exactly [1/4, 3/4].
  const inputs: AttentionInputs = {
    q: { shape: [1, 1, 2, 1], data: Float64Array.of(1, 0) },
    k: { shape: [1, 1, 2, 1], data: Float64Array.of(0, 1) },
    v: { shape: [1, 1, 2, 1], data: Float64Array.of(4, 8) },
    dOut: { shape: [1, 1, 2, 1], data: Float64Array.of(1, 1) },
  };
  const opts: AttentionOptions = { ...defaultOptions({ D: 1 }), scale: Math.log(3) };
  const ln3 = Math.log(3);
  const close = (got: Float64Array, want: number[]) => {
    for (const [n, w] of want.entries()) expect(got[n]).toBeCloseTo(w, 13);
  };

  it('no mask: P = [[1/4, 3/4], [1/2, 1/2]]', () => {
    const r = referenceAttention(inputs, opts);
    close(r.out.data, [7, 6]);
    close(r.dv.data, [0.75, 1.25]); // Pᵀ·dO
    close(r.dq.data, [0.75 * ln3, ln3]); // dS = [[-3/4, 3/4], [-1, 1]]
    close(r.dk.data, [-0.75 * ln3, 0.75 * ln3]);
    close(referenceAttentionForward(inputs, opts).lse.data, [Math.log(4), Math.log(2)]);
  });

  it('causal top-left: q0 sees only k0', () => {
    const r = referenceAttention(inputs, { ...opts, causal: 'top-left' });
    close(r.out.data, [4, 6]);
    close(r.dv.data, [1.5, 0.5]);
    close(r.dq.data, [0, ln3]); // row 0 has one key: P = 1 regardless of S
    close(r.dk.data, [0, 0]); // row 0 has dS = 0, and row 1's dS meets q1 = 0
  });

  it('dropout scales kept weights by 1/(1-p) and zeroes the rest', () => {
    const seed = 11;
    const p = 0.5;
    const keep = [0, 1].map((i) => [0, 1].map((j) => (dropoutKeep(seed, 0, 0, i, j, p) ? 2 : 0)));
    const r = referenceAttention(inputs, { ...opts, dropout: { p, seed } });
    close(r.out.data, [
      0.25 * keep[0]![0]! * 4 + 0.75 * keep[0]![1]! * 8,
      0.5 * keep[1]![0]! * 4 + 0.5 * keep[1]![1]! * 8,
    ]);
  });
});

describe('referenceAttention semantics', () => {
  it('rows with no visible key give 0, lse -Infinity and zero gradients, even with junk K/V', () => {
    const sizes = { ...base, Sq: 4, Sk: 4 };
    const inputs = makeInputs(sizes, 'empty');
    // Left padding with top-left causal: batch row 0 (2 valid keys: k2, k3) leaves q0, q1 empty.
    const opts: AttentionOptions = {
      ...defaultOptions(sizes),
      causal: 'top-left',
      keyLengths: [2, 4],
      paddingSide: 'left',
    };
    // Junk at the padded keys of batch row 0 must never be read.
    for (let h = 0; h < 2; h++)
      for (let j = 0; j < 2; j++)
        for (let d = 0; d < 3; d++) {
          inputs.k.data[((0 * 2 + h) * 4 + j) * 3 + d] = NaN;
          inputs.v.data[((0 * 2 + h) * 4 + j) * 3 + d] = 1e30;
        }
    const r = referenceAttention(inputs, opts);
    const { lse } = referenceAttentionForward(inputs, opts);
    for (const t of [r.out, r.dq, r.dk, r.dv]) expect(t.data.every(Number.isFinite)).toBe(true);
    for (let h = 0; h < 2; h++)
      for (const i of [0, 1]) {
        expect(lse.data[(0 * 2 + h) * 4 + i]).toBe(-Infinity);
        for (let d = 0; d < 3; d++) {
          expect(r.out.data[((0 * 2 + h) * 4 + i) * 3 + d]).toBe(0);
          expect(r.dq.data[((0 * 2 + h) * 4 + i) * 3 + d]).toBe(0);
          expect(r.dk.data[((0 * 2 + h) * 4 + i) * 3 + d]).toBe(0); // padded keys get no gradient
          expect(r.dv.data[((0 * 2 + h) * 4 + i) * 3 + d]).toBe(0);
        }
      }
    expect(maxAbs(r.out)).toBeGreaterThan(0); // the other rows are not empty
  });

  it('GQA equals attention over K/V repeated with repeat_interleave, dK/dV summed per group', () => {
    const sizes = { B: 1, Hq: 6, Hkv: 2, Sq: 3, Sk: 4, D: 2, Dv: 3 };
    const inputs = makeInputs(sizes, 'gqa');
    const opts: AttentionOptions = { ...defaultOptions(sizes), causal: 'bottom-right' };
    const repeat = (t: { data: Float64Array }, F: number) => {
      const rows = sizes.Sk * F;
      const data = new Float64Array(sizes.Hq * rows);
      for (let h = 0; h < sizes.Hq; h++)
        data.set(t.data.subarray(Math.floor(h / 3) * rows, (Math.floor(h / 3) + 1) * rows), h * rows);
      return { shape: [1, sizes.Hq, sizes.Sk, F], data };
    };
    const gqa = referenceAttention(inputs, opts);
    const mha = referenceAttention({ ...inputs, k: repeat(inputs.k, 2), v: repeat(inputs.v, 3) }, opts);
    expect(maxRelError(gqa.out, mha.out)).toBeLessThan(1e-15);
    expect(maxRelError(gqa.dq, mha.dq)).toBeLessThan(1e-15);
    const sumGroups = (t: { data: Float64Array }, F: number) => {
      const rows = sizes.Sk * F;
      const data = new Float64Array(sizes.Hkv * rows);
      for (let h = 0; h < sizes.Hq; h++)
        for (let n = 0; n < rows; n++)
          data[Math.floor(h / 3) * rows + n] = data[Math.floor(h / 3) * rows + n]! + t.data[h * rows + n]!;
      return { shape: [1, sizes.Hkv, sizes.Sk, F], data };
    };
    expect(maxRelError(gqa.dk, sumGroups(mha.dk, 2))).toBeLessThan(1e-14);
    expect(maxRelError(gqa.dv, sumGroups(mha.dv, 3))).toBeLessThan(1e-14);
  });

  it('lse is the log-sum-exp of the scaled visible scores (merging two key chunks by lse gives the whole)', () => {
    const sizes = { B: 1, Hq: 1, Hkv: 1, Sq: 3, Sk: 6, D: 2, Dv: 2 };
    const inputs = makeInputs(sizes, 'lse');
    const opts = defaultOptions(sizes);
    const whole = referenceAttentionForward(inputs, opts);
    const chunk = (j0: number, j1: number) => {
      const slice = (t: { data: Float64Array }, F: number) => ({
        shape: [1, 1, j1 - j0, F],
        data: t.data.slice(j0 * F, j1 * F),
      });
      return referenceAttentionForward({ q: inputs.q, k: slice(inputs.k, 2), v: slice(inputs.v, 2) }, opts);
    };
    const [a, b] = [chunk(0, 2), chunk(2, 6)];
    for (let i = 0; i < 3; i++) {
      const lse = Math.log(Math.exp(a.lse.data[i]!) + Math.exp(b.lse.data[i]!));
      expect(whole.lse.data[i]).toBeCloseTo(lse, 14);
      for (let e = 0; e < 2; e++) {
        const o =
          Math.exp(a.lse.data[i]! - lse) * a.out.data[i * 2 + e]! +
          Math.exp(b.lse.data[i]! - lse) * b.out.data[i * 2 + e]!;
        expect(whole.out.data[i * 2 + e]).toBeCloseTo(o, 14);
      }
    }
  });

  it('rejects a dOut of the wrong shape, naming the field', () => {
    const bad = makeInputs({ ...base, Dv: 2 }, 'bad');
    expect(() => referenceAttention({ ...bad, dOut: bad.q }, defaultOptions(base))).toThrow(/dOut\.shape/);
    // a dOut of the right shape, taken from another tensor of that shape, is accepted
    const same = makeInputs(base, 'bad');
    expect(referenceAttention({ ...same, dOut: same.q }, defaultOptions(base)).out.shape).toEqual(same.q.shape);
  });
});
