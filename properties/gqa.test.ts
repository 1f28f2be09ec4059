/**
 * GQA equals multi-head attention with K/V explicitly repeated (repeat_interleave: query head h
 * reads kv head floor(h / G), G = Hq / Hkv): same output and dq, and dK, dV equal the sums over
 * each group of G query heads of the multi-head gradients (adapter-hub/adapters#825: repeat vs
 * repeat_interleave; the two agree only when Hkv = 1 or Hkv = Hq, so Hkv is drawn strictly
 * between).
 */
import { describe, expect, it } from 'vitest';
import gqaRepeat from '../fixtures/broken-kernels/gqa-repeat.js';
import { type AttentionCase, attentionCase } from '../src/case/index.js';
import { type HostTensor, UNIT_ROUNDOFF } from '../src/contract/index.js';
import { compareTensors } from './support/compare.js';
import { allOf, failsOn, holds, type Relation } from './support/engine.js';
import { BUILTINS, type KernelArg, kernelFor, materialise, run, withMaterial } from './support/run.js';

/**
 * dK, dV in units of u(precision) · max(1, max|x|). The kernel computes each head's numbers the
 * same way in both forms, so out and dq must be bit-identical (measured: they are, 200 cases, every
 * kernel and precision). dK, dV differ by where the group sum happens (inside the kernel, rounded
 * once, vs here in float64 over per-head gradients each rounded to the precision): measured at most
 * 1.7 units over the same cases; 8 leaves room for G = 6 terms. A head read from the wrong kv head
 * is off by O(max|x|).
 */
const GROUP_SUM_ULPS = 8;

/** True grouped-query cases: 1 < G and Hkv > 1 (repeat and repeat_interleave differ). */
const GQA_CASES = attentionCase({ maxBatch: 2, maxHeads: 6, maxSeq: 8, maxHeadDim: 8, layouts: ['BHSD'] }).filter(
  (c) => c.shapes.Hkv > 1 && c.shapes.Hkv < c.shapes.Hq,
);

/** [B, Hkv, S, X] -> [B, Hkv·G, S, X], kv head g repeated G times in place (torch.repeat_interleave). */
function repeatInterleave(t: HostTensor, G: number): HostTensor {
  const [B, H, S, X] = t.shape as [number, number, number, number];
  const data = new Float64Array(B * H * G * S * X);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H * G; h++)
      data.set(
        t.data.subarray((b * H + Math.floor(h / G)) * S * X, ((b * H + Math.floor(h / G)) * S + S) * X),
        (b * H * G + h) * S * X,
      );
  return { shape: [B, H * G, S, X], data };
}

/** [B, Hkv·G, S, X] -> [B, Hkv, S, X], summing each group of G heads. */
function sumGroups(t: HostTensor, G: number): HostTensor {
  const [B, HG, S, X] = t.shape as [number, number, number, number];
  const H = HG / G;
  const data = new Float64Array(B * H * S * X);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < HG; h++)
      for (let e = 0; e < S * X; e++)
        data[(b * H + Math.floor(h / G)) * S * X + e]! += t.data[(b * HG + h) * S * X + e]!;
  return { shape: [B, H, S, X], data };
}

function gqaEqualsRepeatedMha(kernel: KernelArg): Relation<AttentionCase> {
  return (c) => {
    const G = c.shapes.Hq / c.shapes.Hkv;
    const k = kernelFor(kernel, c);
    const m = materialise(c);
    const gqa = run(k, m);
    const mha = run(
      k,
      withMaterial(m, { inputs: { k: repeatInterleave(m.inputs.k, G), v: repeatInterleave(m.inputs.v, G) } }),
    );
    // Units of roundoff of max(1, max|x|): natural scale 1.
    const groupSum = { rel: GROUP_SUM_ULPS * UNIT_ROUNDOFF[c.precision] };
    return allOf(
      compareTensors('out: GQA vs MHA with K/V repeated', gqa.out, mha.out, 'exact'),
      compareTensors('dq: GQA vs MHA with K/V repeated', gqa.dq, mha.dq, 'exact'),
      compareTensors('dk: GQA vs the group sums of MHA dk', gqa.dk, sumGroups(mha.dk, G), groupSum, { natural: 1 }),
      compareTensors('dv: GQA vs the group sums of MHA dv', gqa.dv, sumGroups(mha.dv, G), groupSum, { natural: 1 }),
    );
  };
}

describe('GQA equals multi-head attention with K/V explicitly repeated', () => {
  for (const kernel of BUILTINS)
    it(
      `${kernel}: GQA gives the output and dq of MHA on repeat_interleave'd K/V, and dK, dV are its ` + `group sums`,
      async () => holds(GQA_CASES, gqaEqualsRepeatedMha(kernel), 15),
    );
});

describe('GQA, on a broken kernel', () => {
  it(
    'can fail: a kernel that expands K/V heads with repeat instead of repeat_interleave (adapters#825): query ' +
      'heads read the wrong kv head',
    async () => {
      // Normal values: a wrong kv head always moves the output (small integers can tie).
      const f = await failsOn(
        GQA_CASES.map((c) => ({ ...c, values: 'normal' as const })),
        gqaEqualsRepeatedMha(gqaRepeat),
        12,
      );
      expect(f.message).toMatch(/^out: GQA vs MHA with K\/V repeated: /m);
    },
  );
});
