/**
 * Causality: changing k and v at key positions after t changes nothing at the query positions
 * whose visible keys are all <= t: not their outputs, not their dq; and the gradient flowing from
 * those queries alone (dOut zero elsewhere) never reaches a key after t (dk, dv exactly 0 there).
 * Both alignments, top-left (PyTorch SDPA) and bottom-right (flash-attn >= 2.1), with every other
 * restriction of the contract on top (pytorch/pytorch#108108, Dao-AILab/flash-attention#517).
 *
 * Exact equality: masked scores enter a correct kernel's softmax as exact zeros, so the rows
 * that never see a changed key are computed from the very same numbers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import causalIgnored from '../fixtures/broken-kernels/causal-ignored-without-mask.js';
import offByOne from '../fixtures/broken-kernels/causal-off-by-one.js';
import { type AttentionCase, attentionCase } from '../src/case/index.js';
import { type HostTensor, visible } from '../src/contract/index.js';
import { allZero, compareTensors } from './support/compare.js';
import { allOf, failsOn, holds, type Relation } from './support/engine.js';
import { BUILTINS, type KernelArg, kernelFor, materialise, run, withMaterial } from './support/run.js';

interface CausalCase {
  readonly c: AttentionCase;
  /** t as a fraction of Sk (t = floor(tAt · Sk / 8)), so it shrinks with the case. */
  readonly tAt: number;
  readonly otherSeed: number;
}

const CASES: fc.Arbitrary<CausalCase> = fc.record({
  c: attentionCase({
    maxBatch: 2,
    maxHeads: 4,
    maxSeq: 8,
    maxHeadDim: 8,
    causals: ['top-left', 'bottom-right'],
    junk: ['none'],
    layouts: ['BHSD'],
  }),
  tAt: fc.integer({ min: 0, max: 7 }),
  otherSeed: fc.integer({ min: 0, max: 0xffffffff }),
});

/** k, v after key t replaced by values drawn from another seed (same distribution and precision). */
function changedAfter(c: AttentionCase, t: number, otherSeed: number): { k: HostTensor; v: HostTensor } {
  const m = materialise(c);
  const o = materialise({ ...c, seed: otherSeed === c.seed ? otherSeed + 1 : otherSeed });
  const { Sk, D, Dv } = c.shapes;
  const mix = (a: HostTensor, b: HostTensor, d: number): HostTensor => ({
    shape: a.shape,
    data: a.data.map((x, n) => (Math.floor(n / d) % Sk > t ? b.data[n]! : x)),
  });
  return { k: mix(m.inputs.k, o.inputs.k, D), v: mix(m.inputs.v, o.inputs.v, Dv) };
}

/** Changing keys after t changes no output, dq, or gradient path of the queries that see only keys <= t. */
function causalityHolds(kernel: KernelArg): Relation<CausalCase> {
  return ({ c, tAt, otherSeed }) => {
    const { B, Hq, Sq, Sk, D, Dv } = c.shapes;
    const t = Math.floor((tAt * Sk) / 8);
    const m = materialise(c);
    const k = kernelFor(kernel, c);
    // early[(b·Hq + h)·Sq + i]: every key query i of head h sees is <= t.
    const early = new Uint8Array(B * Hq * Sq).map((_, r) => {
      const [b, h, i] = [Math.floor(r / (Hq * Sq)), Math.floor(r / Sq) % Hq, r % Sq];
      for (let j = t + 1; j < Sk; j++) if (visible(m.options, c.shapes, b, h, i, j)) return 0;
      return 1;
    });
    const row = (d: number) => (n: number) => Math.floor(n / d);
    const onEarly = (d: number) => (n: number) => early[row(d)(n)] === 1;
    const afterT = (d: number) => (n: number) => row(d)(n) % Sk > t;
    const before = run(k, m);
    const after = run(k, withMaterial(m, { inputs: changedAfter(c, t, otherSeed) }));
    const dOutEarly = { ...m.inputs.dOut, data: m.inputs.dOut.data.map((x, n) => (onEarly(Dv)(n) ? x : 0)) };
    const fromEarly = run(k, withMaterial(m, { inputs: { dOut: dOutEarly } }));
    const outcome = allOf(
      compareTensors('out of early queries, keys after t changed', after.out, before.out, 'exact', {
        where: onEarly(Dv),
      }),
      compareTensors('dq of early queries, keys after t changed', after.dq, before.dq, 'exact', { where: onEarly(D) }),
      allZero('dk after t, dOut only on early queries', fromEarly.dk, afterT(D)),
      allZero('dv after t, dOut only on early queries', fromEarly.dv, afterT(Dv)),
    );
    const rows = [...early.keys()]
      .filter((r) => early[r])
      .map((r) => `(${Math.floor(r / (Hq * Sq))},${Math.floor(r / Sq) % Hq},${r % Sq})`);
    return outcome && allOf(`${k.name}, t = ${t}; early query rows (b,h,i): ${rows.join(' ')}`, outcome);
  };
}

/** The lines a causality violation reports (anything else, e.g. a throw, is the wrong reason). */
const VIOLATION =
  /^(out|dq) of early queries, keys after t changed: |^d[kv] after t, dOut only on early queries \(must be 0\): /m;

describe('causality', () => {
  for (const kernel of BUILTINS)
    it(`${kernel}: keys after t change no output, dq or gradient path of queries that see only keys <= t`, async () =>
      holds(CASES, causalityHolds(kernel), 20));
});

describe('causality, on broken kernels', () => {
  it(
    'can fail: a kernel whose causal diagonal is off by one (transformers#29623): an early query sees ' + 'key t + 1',
    async () => {
      const f = await failsOn(CASES, causalityHolds(offByOne), 15);
      expect(f.message).toMatch(VIOLATION);
    },
  );

  it(
    'can fail: a kernel that ignores the causal flag when no mask is given (adapters#721): only on cases ' +
      'without a mask',
    async () => {
      const f = await failsOn(CASES, causalityHolds(causalIgnored), 15);
      expect(f.message).toMatch(VIOLATION);
      expect(f.counterexample.c.mask).toBeNull();
    },
  );
});
