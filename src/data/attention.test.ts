import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AttentionCase, attentionCase } from '../case/index.js';
import { roundTo, visible } from '../contract/index.js';
import { hugeJunk, invisibleKeys, materialiseAttention } from './attention.js';

const base: AttentionCase = {
  version: 1,
  kind: 'attention',
  shapes: { B: 2, Hq: 4, Hkv: 2, Sq: 3, Sk: 5, D: 3, Dv: 2 },
  scale: null,
  causal: 'bottom-right',
  window: null,
  keyLengths: [5, 2],
  paddingSide: 'left',
  mask: null,
  dropout: null,
  precision: 'float32',
  layout: 'BHSD',
  values: 'normal',
  junk: 'none',
  blocks: { Br: 2, Bc: 2 },
  seed: 7,
};

const arr = (x: Float64Array): number[] => Array.from(x);

describe('materialiseAttention', () => {
  it('is deterministic and defaults the scale to 1/sqrt(D)', () => {
    const a = materialiseAttention(base);
    const b = materialiseAttention(structuredClone(base));
    expect(b).toEqual(a);
    expect(a.options.scale).toBe(1 / Math.sqrt(3));
    expect(materialiseAttention({ ...base, scale: 0.5 }).options.scale).toBe(0.5);
    expect(arr(materialiseAttention({ ...base, seed: 8 }).inputs.q.data)).not.toEqual(arr(a.inputs.q.data));
  });

  it('draws each tensor from its own stream: changing one size or option leaves the others alone', () => {
    const a = materialiseAttention(base);
    const moreDv = materialiseAttention({ ...base, shapes: { ...base.shapes, Dv: 5 } });
    expect(arr(moreDv.inputs.q.data)).toEqual(arr(a.inputs.q.data));
    expect(arr(moreDv.inputs.k.data)).toEqual(arr(a.inputs.k.data));
    expect(arr(moreDv.inputs.v.data)).not.toEqual(arr(a.inputs.v.data));
    const masked = materialiseAttention({
      ...base,
      mask: { broadcastBatch: false, broadcastHeads: true, density: 0.5, seed: 1 },
    });
    for (const t of ['q', 'k', 'v', 'dOut'] as const) expect(arr(masked.inputs[t].data)).toEqual(arr(a.inputs[t].data));
  });

  it('draws the mask from its own seed with its density and broadcast shape', () => {
    const m = (density: number, seed = 1) =>
      materialiseAttention({ ...base, mask: { broadcastBatch: true, broadcastHeads: false, density, seed } }).options
        .mask!;
    expect(m(0.5).shape).toEqual([1, 4, 3, 5]);
    expect(Array.from(m(1).data).every((x) => x === 1)).toBe(true);
    expect(Array.from(m(0).data).every((x) => x === 0)).toBe(true);
    const half = Array.from(m(0.5).data);
    expect(half.some((x) => x === 1) && half.some((x) => x === 0)).toBe(true);
    expect(Array.from(m(0.5, 2).data)).not.toEqual(half);
  });

  it('rounds every input to the case precision', () => {
    for (const precision of ['bfloat16', 'float16'] as const) {
      const { inputs } = materialiseAttention({ ...base, precision });
      for (const t of [inputs.q, inputs.k, inputs.v, inputs.dOut])
        for (const x of t.data) expect(roundTo(precision, x)).toBe(x);
    }
  });

  it('draws each value distribution as documented', () => {
    const small = materialiseAttention({ ...base, values: 'small-int' }).inputs;
    for (const x of [...small.q.data, ...small.k.data, ...small.v.data]) expect([-2, -1, 0, 1, 2]).toContain(x);

    const large = materialiseAttention({
      ...base,
      values: 'large',
      shapes: { ...base.shapes, Sk: 12 },
      keyLengths: null,
    });
    const { q, k } = large.inputs;
    const { D, Sk } = large.shapes;
    let maxLogit = 0;
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < Sk; j++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += q.data[i * D + d]! * k.data[j * D + d]!;
        maxLogit = Math.max(maxLogit, Math.abs(s * large.options.scale));
      }
    expect(maxLogit).toBeGreaterThan(2e3);
    expect(maxLogit).toBeLessThan(1e5);

    const ties = materialiseAttention({ ...base, values: 'near-ties' }).inputs.k;
    // Keys of one (b, kv head) differ from the first key by the noise only.
    for (let j = 1; j < 5; j++)
      for (let d = 0; d < 3; d++) expect(Math.abs(ties.data[j * 3 + d]! - ties.data[d]!)).toBeLessThan(1e-2);
  });

  it('writes junk only at keys no query can see, and at every such key', () => {
    fc.assert(
      fc.property(attentionCase({ junk: ['huge', 'nan'], maxSeq: 6 }), (c) => {
        const { shapes, options, inputs } = materialiseAttention(c);
        const clean = materialiseAttention({ ...c, junk: 'none' }).inputs;
        const hidden = invisibleKeys(options, shapes);
        const { B, Hq, Hkv, Sq, Sk, D } = shapes;
        const group = Hq / Hkv;
        for (let b = 0; b < B; b++)
          for (let g = 0; g < Hkv; g++)
            for (let j = 0; j < Sk; j++) {
              const row = (b * Hkv + g) * Sk + j;
              let seen = false;
              for (let h = g * group; h < (g + 1) * group; h++)
                for (let i = 0; i < Sq; i++) seen ||= visible(options, shapes, b, h, i, j);
              expect(hidden[row]).toBe(seen ? 0 : 1);
              const kRow = arr(inputs.k.data.subarray(row * D, (row + 1) * D));
              if (seen) expect(kRow).toEqual(arr(clean.k.data.subarray(row * D, (row + 1) * D)));
              else
                for (const x of kRow)
                  expect(c.junk === 'nan' ? Number.isNaN(x) : Math.abs(x) === hugeJunk(c.precision)).toBe(true);
            }
        expect(arr(inputs.q.data)).toEqual(arr(clean.q.data));
      }),
      { numRuns: 100, seed: 2 },
    );
  });

  it("'offset' values give every visible logit of a query row one offset of ±1e5 (exact in every precision)", () => {
    for (const precision of ['float32', 'bfloat16', 'float16'] as const) {
      const c: AttentionCase = {
        ...base,
        values: 'offset',
        precision,
        keyLengths: null,
        causal: 'none',
        shapes: { ...base.shapes, D: 6 },
      };
      const { inputs, options, shapes } = materialiseAttention(c);
      const { B, Hq, Hkv, Sq, Sk, D } = shapes;
      const signs = new Set<number>();
      for (let b = 0; b < B; b++)
        for (let h = 0; h < Hq; h++)
          for (let i = 0; i < Sq; i++) {
            const qRow = ((b * Hq + h) * Sq + i) * D;
            const kRow = (j: number) => ((b * Hkv + Math.floor(h / (Hq / Hkv))) * Sk + j) * D;
            // The offset: the last dim's product, the same for every key of the row.
            const offsets = [...Array(Sk).keys()].map(
              (j) => options.scale * inputs.q.data[qRow + D - 1]! * inputs.k.data[kRow(j) + D - 1]!,
            );
            expect(new Set(offsets).size).toBe(1);
            expect(Math.abs(offsets[0]!)).toBeGreaterThan(0.9e5);
            expect(Math.abs(offsets[0]!)).toBeLessThan(1.1e5);
            signs.add(Math.sign(offsets[0]!));
          }
      expect([...signs].sort()).toEqual([-1, 1]);
      for (const x of [...inputs.q.data, ...inputs.k.data]) expect(Number.isFinite(x)).toBe(true);
    }
  });

  it("'rising' values make the logits of a query with q_0 > 0 rise along the keys by ~0.25·q_0 per key", () => {
    const c: AttentionCase = {
      ...base,
      values: 'rising',
      keyLengths: null,
      shapes: { B: 1, Hq: 1, Hkv: 1, Sq: 4, Sk: 64, D: 4, Dv: 2 },
    };
    const { inputs, options } = materialiseAttention(c);
    const { q, k } = inputs;
    for (let i = 0; i < 4; i++) {
      const logit = (j: number) =>
        options.scale * [0, 1, 2, 3].reduce((acc, d) => acc + q.data[i * 4 + d]! * k.data[j * 4 + d]!, 0);
      // Over 60 keys the drift (15·q_0 per key block of 60) dominates the N(0, 1) noise.
      const q0 = q.data[i * 4]!;
      if (Math.abs(q0) > 0.5) expect(Math.sign(logit(63) - logit(3))).toBe(Math.sign(q0));
    }
  });

  it('puts NaN junk only at the hidden keys `nanRows` picks, and huge junk at the others', () => {
    const c: AttentionCase = { ...base, junk: 'nan' };
    const { options, shapes, inputs } = materialiseAttention(c, { nanRows: (row) => row % 2 === 0 });
    const hidden = invisibleKeys(options, shapes);
    const { D } = shapes;
    let nan = 0;
    let huge = 0;
    for (let row = 0; row < hidden.length; row++) {
      if (hidden[row] === 0) continue;
      const x = inputs.k.data[row * D]!;
      if (row % 2 === 0) expect(Number.isNaN(x)).toBe(true);
      else expect(Math.abs(x)).toBe(hugeJunk('float32'));
      (row % 2 === 0 ? () => nan++ : () => huge++)();
    }
    expect(nan).toBeGreaterThan(0);
    expect(huge).toBeGreaterThan(0);
  });

  it('keeps huge junk finite in its precision', () => {
    for (const p of ['float32', 'bfloat16', 'float16'] as const) {
      expect(Number.isFinite(hugeJunk(p))).toBe(true);
      expect(roundTo(p, hugeJunk(p))).toBe(hugeJunk(p));
    }
  });
});
