import { describe, expect, it } from 'vitest';
import {
  type AttentionInputs,
  type AttentionOptions,
  defaultOptions,
  type HostTensor,
  maxAbs,
  maxRelError,
} from '../contract/index.js';
import { dot, makeInputs, numericalGradient, randomTensor, type Sizes, seededRng } from './gradcheck.js';
import { referenceAttention, referenceAttentionForward } from './index.js';

const t = (shape: number[], seed: string, scale = 1): HostTensor => {
  const r = randomTensor(seededRng(seed), shape);
  return { shape, data: r.data.map((x) => x * scale) };
};

const base: Sizes = { B: 2, Hq: 4, Hkv: 2, Sq: 3, Sk: 5, D: 3, Dv: 2 };

/**
 * Each score option alone and with the others, on the visibility options they interact with. The
 * scale is 2 so that softcap 0.8 bends the logits (|s| up to ~3, tanh well past linear).
 */
const cases: Array<[string, Sizes, Partial<AttentionOptions>]> = [
  ['softcap', base, { scale: 2, softcap: 0.8 }],
  ['softcap + causal bottom-right', base, { scale: 2, softcap: 1.5, causal: 'bottom-right' }],
  ['ALiBi [Hq]', base, { alibiSlopes: t([4], 'a1', 0.6) }],
  ['ALiBi [B,Hq] + window', base, { alibiSlopes: t([2, 4], 'a2', 0.6), window: [2, 1] }],
  ['bias [B,Hq,Sq,Sk]', base, { bias: t([2, 4, 3, 5], 'b1') }],
  ['bias [1,Hq,Sq,Sk] (dbias summed over B)', base, { bias: t([1, 4, 3, 5], 'b2') }],
  ['bias [B,1,Sq,Sk] + mask-free causal', base, { bias: t([2, 1, 3, 5], 'b3'), causal: 'top-left' }],
  ['bias [1,1,Sq,Sk] + keyLengths', base, { bias: t([1, 1, 3, 5], 'b4'), keyLengths: [5, 2] }],
  ['sinks', base, { sinks: t([4], 's1', 2) }],
  ['sinks + causal Sq>Sk (empty rows)', { ...base, Sq: 6, Sk: 3 }, { sinks: t([4], 's2', 2), causal: 'bottom-right' }],
  [
    'everything at once, with dropout',
    base,
    {
      scale: 1.5,
      softcap: 1.2,
      alibiSlopes: t([2, 4], 'a3', 0.5),
      bias: t([2, 1, 3, 5], 'b5'),
      sinks: t([4], 's3'),
      causal: 'bottom-right',
      window: [3, -1],
      dropout: { p: 0.3, seed: 9 },
    },
  ],
];

describe('referenceAttention with score options: gradients match central finite differences in float64', () => {
  it.each(cases)('%s', (name, sizes, extra) => {
    const opts: AttentionOptions = { ...defaultOptions(sizes), ...extra };
    const inputs = makeInputs(sizes, name);
    const res = referenceAttention(inputs, opts);
    const loss = () => dot(referenceAttentionForward(inputs, opts).out, inputs.dOut);
    const checks: Array<[string, HostTensor, HostTensor | undefined]> = [
      ['dq', inputs.q, res.dq],
      ['dk', inputs.k, res.dk],
      ['dv', inputs.v, res.dv],
    ];
    if (opts.bias != null) checks.push(['dbias', opts.bias, res.dbias]);
    if (opts.sinks != null) checks.push(['dsinks', opts.sinks, res.dsinks]);
    for (const [label, x, g] of checks) {
      const fd = numericalGradient(loss, x);
      expect(g?.shape, label).toEqual(x.shape);
      expect(maxAbs(fd), `${label} is not identically 0`).toBeGreaterThan(1e-3);
      expect(maxRelError(g!, fd), label).toBeLessThan(1e-7);
    }
    expect(maxRelError(res.out, referenceAttentionForward(inputs, opts).out)).toBe(0);
    expect(Array.from(res.lse!.data)).toEqual(Array.from(referenceAttentionForward(inputs, opts).lse.data));
  });
});

describe('referenceAttention score options: semantics', () => {
  const sizes: Sizes = { B: 1, Hq: 1, Hkv: 1, Sq: 2, Sk: 3, D: 1, Dv: 1 };
  const inputs: AttentionInputs = {
    q: { shape: [1, 1, 2, 1], data: Float64Array.of(1, 2) },
    k: { shape: [1, 1, 3, 1], data: Float64Array.of(1, -1, 3) },
    v: { shape: [1, 1, 3, 1], data: Float64Array.of(1, 2, 4) },
    dOut: { shape: [1, 1, 2, 1], data: Float64Array.of(1, 1) },
  };
  const plain: AttentionOptions = { ...defaultOptions(sizes), scale: 1 };
  /** The softmax of one row by hand: weights e^{s_j} / (Σ e^{s_j} + e^{sink}). */
  const row = (s: number[], sink = -Infinity) => {
    const z = s.reduce((a, x) => a + Math.exp(x), Math.exp(sink));
    return { w: s.map((x) => Math.exp(x) / z), lse: Math.log(z) };
  };
  const close = (got: ArrayLike<number>, want: number[]) => {
    for (const [n, w] of want.entries()) expect(got[n]).toBeCloseTo(w, 13);
  };

  it('every option off (null) is the plain contract, bit for bit', () => {
    const off = referenceAttention(inputs, { ...plain, softcap: null, alibiSlopes: null, bias: null, sinks: null });
    const before = referenceAttention(inputs, plain);
    for (const n of ['out', 'dq', 'dk', 'dv', 'lse'] as const)
      expect(Array.from(off[n]!.data)).toEqual(Array.from(before[n]!.data));
    expect(off.dbias).toBeUndefined();
    expect(off.dsinks).toBeUndefined();
  });

  it('softcap is c·tanh(s/c) of the scaled score (not s·tanh(s)), before the additive terms', () => {
    const c = 2;
    const r = referenceAttentionForward(inputs, {
      ...plain,
      softcap: c,
      bias: { shape: [1, 1, 2, 3], data: Float64Array.of(0, 0, 0, 0, 0.5, 0) },
    });
    const s1 = [2, -2, 6].map((x) => c * Math.tanh(x / c) + (x === -2 ? 0.5 : 0)); // q1 = 2: bias 0.5 on key 1
    const { w, lse } = row(s1);
    expect(r.out.data[1]).toBeCloseTo(w[0]! * 1 + w[1]! * 2 + w[2]! * 4, 13);
    expect(r.lse.data[1]).toBeCloseTo(lse, 13);
  });

  it('ALiBi adds -slope·|i + Sk - Sq - j| (distance to the bottom-right diagonal)', () => {
    const slope = 0.75;
    const r = referenceAttentionForward(inputs, {
      ...plain,
      alibiSlopes: { shape: [1], data: Float64Array.of(slope) },
    });
    // q0: diagonal key 1 (i + Sk - Sq = 1): distances [1, 0, 1]; q1: diagonal key 2: [2, 1, 0].
    const r0 = row([1 - slope, -1, 3 - slope]);
    const r1 = row([2 - 2 * slope, -2 - slope, 6]);
    close(r.lse.data, [r0.lse, r1.lse]);
    close(r.out.data, [r0.w[0]! + 2 * r0.w[1]! + 4 * r0.w[2]!, r1.w[0]! + 2 * r1.w[1]! + 4 * r1.w[2]!]);
  });

  it('a sink joins only the denominator: weights sum to less than 1, lse includes it', () => {
    const sink = 1.3;
    const r = referenceAttentionForward(inputs, { ...plain, sinks: { shape: [1], data: Float64Array.of(sink) } });
    const r0 = row([1, -1, 3], sink);
    close(r.lse.data.subarray(0, 1), [r0.lse]);
    expect(r.out.data[0]).toBeCloseTo(r0.w[0]! + 2 * r0.w[1]! + 4 * r0.w[2]!, 13);
    expect(r0.w.reduce((a, x) => a + x, 0)).toBeLessThan(1);
  });

  it('a row with no visible key gives out 0, lse -inf and zero gradients, sink or not (dsinks 0 from it)', () => {
    const sinks = { shape: [1], data: Float64Array.of(0.7) };
    const bias = { shape: [1, 1, 2, 3], data: Float64Array.of(1, 2, 3, 4, 5, 6) };
    // q0 sees nothing; q1 sees keys 0 and 1.
    const mask = { shape: [1, 1, 2, 3] as const, data: Uint8Array.of(0, 0, 0, 1, 1, 0) };
    const r = referenceAttention(inputs, {
      ...plain,
      sinks,
      bias,
      mask,
      softcap: 3,
      alibiSlopes: { shape: [1], data: Float64Array.of(0.5) },
    });
    expect(r.out.data[0]).toBe(0);
    expect(r.dq.data[0]).toBe(0);
    expect(r.lse!.data[0]).toBe(-Infinity);
    expect(Array.from(r.dbias!.data.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(r.dbias!.data[5]).toBe(0); // invisible key of a non-empty row
    // dsinks comes from q1 alone: -Psink·rowsum(P∘dP) with dP_j = v_j (dOut = 1).
    const s = [3 * Math.tanh(2 / 3) + 4 - 1.0, 3 * Math.tanh(-2 / 3) + 5 - 0.5];
    const z = Math.exp(s[0]!) + Math.exp(s[1]!) + Math.exp(0.7);
    const P = s.map((x) => Math.exp(x) / z);
    const rowsum = P[0]! * 1 + P[1]! * 2;
    expect(r.dsinks!.data[0]).toBeCloseTo(-(Math.exp(0.7) / z) * rowsum, 13);
  });

  it('dbias is dS summed over the broadcast dims: a [1,1,Sq,Sk] bias gets the sum over batch rows and heads', () => {
    const sizes2: Sizes = { B: 2, Hq: 2, Hkv: 1, Sq: 2, Sk: 3, D: 2, Dv: 2 };
    const x = makeInputs(sizes2, 'sum');
    const full = t([2, 2, 2, 3], 'full-bias');
    const shared: HostTensor = { shape: [1, 1, 2, 3], data: full.data.slice(0, 6) };
    const same: HostTensor = {
      shape: [2, 2, 2, 3],
      data: Float64Array.from({ length: 24 }, (_, n) => shared.data[n % 6]!),
    };
    const o = defaultOptions(sizes2);
    const a = referenceAttention(x, { ...o, bias: shared });
    const b = referenceAttention(x, { ...o, bias: same });
    expect(maxRelError(a.out, b.out)).toBe(0);
    const summed = new Float64Array(6);
    for (const [n, g] of b.dbias!.data.entries()) summed[n % 6] = summed[n % 6]! + g;
    for (let n = 0; n < 6; n++) expect(a.dbias!.data[n]).toBeCloseTo(summed[n]!, 14);
  });
});
