/**
 * Dropout (src/contract/dropout.ts): element (b, h, i, j) is kept iff the counter-based hash says
 * so, in the forward and the backward pass, in every kernel (NVIDIA/TransformerEngine#1031 is a
 * backward that redraws its mask); p = 0 is exactly no dropout; and the drop rate is p.
 *
 * Seeing which elements a kernel kept: with q = 0 every visible key gets the same weight 1/n, and
 * with V one-hot per key (V[j] = e_j) the output row is the dropped weights themselves,
 * out[b,h,i,j] = keep·(1/n)/(1-p); with dOut one-hot per query (and per head of a kv group),
 * dV[b,g,j,(h mod G)·Sq + i] = the same weight as the backward pass saw it. Nonzero = kept.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backwardMaskDiffers,
  keepProbConfusion,
  pZeroTakesOtherPath,
  randomDropout,
  seedOffByOne,
} from '../fixtures/broken-kernels/dropout-kernels.js';
import { type AttentionCase, attentionCase } from '../src/case/index.js';
import { type AttentionKernel, dropoutKeep, type HostTensor, visible } from '../src/contract/index.js';
import { binomialTwoSided } from '../src/runner/index.js';
import { compareResults } from './support/compare.js';
import { matchesReference } from './support/differential.js';
import { allOf, failsOn, holds, type Relation } from './support/engine.js';
import { BUILTINS, type KernelArg, kernelFor, materialise, run, withMaterial } from './support/run.js';

const P_VALUES = [0.1, 0.5, 0.9] as const;
const SMALL = { maxBatch: 2, maxHeads: 4, maxSeq: 8, maxHeadDim: 4, junk: ['none'], layouts: ['BHSD'] } as const;

/** Cases with dropout forced on (the generic arbitrary draws it one case in four). */
const withDropout = (arb: fc.Arbitrary<AttentionCase>) =>
  fc
    .record({ c: arb, p: fc.constantFrom(...P_VALUES), seed: fc.integer({ min: 0, max: 0xffffffff }) })
    .map(({ c, p, seed }): AttentionCase => ({ ...c, dropout: { p, seed } }));

/** Dv wide enough for the one-hot V (Sk columns) and the one-hot dOut (G·Sq columns). */
const forPattern = (c: AttentionCase): AttentionCase => ({
  ...c,
  shapes: { ...c.shapes, Dv: Math.max(c.shapes.Sk, (c.shapes.Hq / c.shapes.Hkv) * c.shapes.Sq) },
});

interface Kept {
  /** [B, Hq, Sq, Sk] 0/1 each: what the contract says, what the forward kept, what the backward kept. */
  readonly expected: Uint8Array;
  readonly forward: Uint8Array;
  readonly backward: Uint8Array;
  readonly visible: Uint8Array;
}

/** The kept pattern of a kernel, read through one-hot V and dOut (see the header). */
function keptPattern(kernel: AttentionKernel, c: AttentionCase): Kept {
  const { B, Hq, Hkv, Sq, Sk, D, Dv } = c.shapes;
  const G = Hq / Hkv;
  const m = materialise(c);
  const t = (shape: number[], f: (n: number) => number): HostTensor => ({
    shape,
    data: Float64Array.from({ length: shape.reduce((a, b) => a * b) }, (_, n) => f(n)),
  });
  const q = t([B, Hq, Sq, D], () => 0);
  const v = t([B, Hkv, Sk, Dv], (n) => (n % Dv === Math.floor(n / Dv) % Sk ? 1 : 0));
  const dOut = t([B, Hq, Sq, Dv], (n) =>
    n % Dv === ((Math.floor(n / (Sq * Dv)) % Hq) % G) * Sq + (Math.floor(n / Dv) % Sq) ? 1 : 0,
  );
  const r = run(kernel, withMaterial(m, { inputs: { q, v, dOut } }));
  const { p, seed } = c.dropout!;
  const n4 = B * Hq * Sq * Sk;
  const out = {
    expected: new Uint8Array(n4),
    forward: new Uint8Array(n4),
    backward: new Uint8Array(n4),
    visible: new Uint8Array(n4),
  };
  for (let b = 0, n = 0; b < B; b++)
    for (let h = 0; h < Hq; h++)
      for (let i = 0; i < Sq; i++)
        for (let j = 0; j < Sk; j++, n++) {
          out.visible[n] = visible(m.options, c.shapes, b, h, i, j) ? 1 : 0;
          out.expected[n] = out.visible[n]! && dropoutKeep(seed, b, h, i, j, p) ? 1 : 0;
          out.forward[n] = r.out.data[((b * Hq + h) * Sq + i) * Dv + j] !== 0 ? 1 : 0;
          out.backward[n] = r.dv.data[((b * Hkv + Math.floor(h / G)) * Sk + j) * Dv + (h % G) * Sq + i] !== 0 ? 1 : 0;
        }
  return out;
}

/** A line naming the first elements where `got` differs from the contract's pattern, or null. */
function patternDiff(pass: string, got: Uint8Array, expected: Uint8Array, shape: readonly number[]): string | null {
  const bad = [...expected.keys()].filter((n) => got[n] !== expected[n]);
  if (bad.length === 0) return null;
  const [, Hq, Sq, Sk] = shape as [number, number, number, number];
  const at = (n: number) => {
    const [b, h] = [Math.floor(n / (Hq * Sq * Sk)), Math.floor(n / (Sq * Sk)) % Hq];
    const [i, j] = [Math.floor(n / Sk) % Sq, n % Sk];
    return `(b=${b},h=${h},i=${i},j=${j}) ${expected[n] ? 'kept by the hash, dropped' : 'dropped by the hash, kept'}`;
  };
  return (
    `${pass}: ${bad.length} of ${expected.length} elements differ from the hash, e.g. ` +
    `${bad.slice(0, 4).map(at).join('; ')}`
  );
}

/** Cases with dropout, shaped for reading the kept pattern. */
const patternCases = (precisions: AttentionCase['precision'][]) =>
  withDropout(attentionCase({ ...SMALL, precisions })).map(forPattern);

/** The kernel keeps exactly the hash's elements, forward and backward. */
function keepsTheHashedElements(kernel: KernelArg): Relation<AttentionCase> {
  return (c) => {
    const kept = keptPattern(kernelFor(kernel, c), c);
    const { B, Hq, Sq, Sk } = c.shapes;
    return allOf(
      patternDiff('forward', kept.forward, kept.expected, [B, Hq, Sq, Sk]),
      patternDiff('backward', kept.backward, kept.expected, [B, Hq, Sq, Sk]),
    );
  };
}

const noDropoutCases = (precisions: AttentionCase['precision'][]) =>
  attentionCase({ ...SMALL, precisions, allowDropout: false });

/** p = 0 gives bit-identical outputs and gradients to no dropout at all. */
function pZeroIsNoDropout(kernel: KernelArg): Relation<AttentionCase> {
  return (c) => {
    const k = kernelFor(kernel, c);
    const m = materialise(c);
    const [zero, none] = [
      run(k, withMaterial(m, { options: { dropout: { p: 0, seed: c.seed } } })),
      run(k, withMaterial(m, { options: { dropout: null } })),
    ];
    return compareResults('p = 0 vs no dropout:', zero, none, 'exact');
  };
}

// ---------------------------------------------------------------------------------------------
// The drop rate

const ALPHA = 1e-6;

type Keep = (seed: number, b: number, h: number, i: number, j: number, p: number) => boolean;

interface Block {
  readonly seed: number;
  readonly p: number;
  readonly origin: readonly number[];
}

const BLOCKS: fc.Arbitrary<Block> = fc.record({
  seed: fc.integer({ min: 0, max: 0xffffffff }),
  p: fc.constantFrom<number>(0.1, 0.25, 0.5, 0.9),
  origin: fc.array(fc.integer({ min: 0, max: 4096 }), { minLength: 4, maxLength: 4 }),
});

/** The hash drops a fraction p of a [4, 4, 32, 32] block anywhere in (b, h, i, j) (binomial test, alpha 1e-6). */
function hashDropRateIsP(keep: Keep): Relation<Block> {
  return ({ seed, p, origin: [b0, h0, i0, j0] }) => {
    let dropped = 0;
    for (let b = 0; b < 4; b++)
      for (let h = 0; h < 4; h++)
        for (let i = 0; i < 32; i++)
          for (let j = 0; j < 32; j++) if (!keep(seed, b0! + b, h0! + h, i0! + i, j0! + j, p)) dropped++;
    const pValue = binomialTwoSided(dropped, 4096 * 4, p);
    return pValue >= ALPHA
      ? null
      : `dropped ${dropped} of 16384 at p = ${p} (expected ${16384 * p}): two-sided binomial p-value ` +
          `${pValue.toExponential(2)} < ${ALPHA}`;
  };
}

/** [1, 2, 16, 16] with every key visible: enough weights for the binomial test. */
const RATE_CASES = withDropout(
  attentionCase({
    ...SMALL,
    maxSeq: 16,
    fixed: {
      shapes: { B: 1, Hq: 2, Hkv: 2, Sq: 16, Sk: 16, D: 2 },
      causal: 'none',
      window: null,
      keyLengths: null,
      mask: null,
      precision: 'float32',
    },
  }),
).map(forPattern);

/** Observed through a kernel (one-hot V), the drop rate is p. */
function kernelDropRateIsP(kernel: KernelArg): Relation<AttentionCase> {
  return (c) => {
    const k = kernelFor(kernel, c);
    const kept = keptPattern(k, c);
    const n = kept.forward.length;
    const dropped = n - kept.forward.reduce((a, x) => a + x, 0);
    const pValue = binomialTwoSided(dropped, n, c.dropout!.p);
    return pValue >= ALPHA
      ? null
      : `${k.name} dropped ${dropped} of ${n} at p = ${c.dropout!.p}: two-sided binomial p-value ` +
          `${pValue.toExponential(2)} < ${ALPHA}`;
  };
}

const ALL_PRECISIONS: AttentionCase['precision'][] = ['float32', 'bfloat16', 'float16'];
const F32: AttentionCase['precision'][] = ['float32'];

describe('dropout', () => {
  for (const kernel of BUILTINS) {
    it(`${kernel} keeps exactly the elements the hash keeps, forward and backward, in every precision`, async () =>
      holds(patternCases(ALL_PRECISIONS), keepsTheHashedElements(kernel), 12));
    it(`${kernel} with dropout matches the float64 reference (same hash) forward and backward`, async () =>
      holds(
        withDropout(attentionCase({ ...SMALL, layouts: ['BHSD', 'BSHD', 'packed-qkv', 'strided'] })),
        matchesReference(kernel),
        8,
      ));
    it(`${kernel} with p = 0 is bit-identical to no dropout`, async () =>
      holds(noDropoutCases(ALL_PRECISIONS), pZeroIsNoDropout(kernel), 8));
    it(`${kernel} drops a fraction p of the weights (binomial test, alpha 1e-6)`, async () =>
      holds(RATE_CASES, kernelDropRateIsP(kernel), 3));
  }
  it('the hash drops a fraction p of any block (binomial test, alpha 1e-6)', async () =>
    holds(BLOCKS, hashDropRateIsP(dropoutKeep), 6));
});

/** The kept-elements relation's lines: which pass kept other elements than the hash. */
const FORWARD_DIFFERS = /^forward: \d+ of \d+ elements differ from the hash/m;
const BACKWARD_DIFFERS = /^backward: \d+ of \d+ elements differ from the hash/m;
const RATE_REJECTED = /dropped \d+ of \d+ at p = [\d.]+( \(expected [\d.]+\))?: two-sided binomial p-value \S+ < \S+$/;

describe('dropout, on broken kernels', () => {
  it('can fail: the kept-elements property fails on Math.random dropout: the forward keeps other elements', async () =>
    expect((await failsOn(patternCases(F32), keepsTheHashedElements(randomDropout), 8)).message).toMatch(
      FORWARD_DIFFERS,
    ));

  it(
    'can fail: the kept-elements property fails on dropout with another seed: ' + 'the forward keeps other elements',
    async () =>
      expect((await failsOn(patternCases(F32), keepsTheHashedElements(seedOffByOne), 8)).message).toMatch(
        FORWARD_DIFFERS,
      ),
  );

  it(
    'can fail: the kept-elements property fails when the backward redraws its mask (TransformerEngine#1031): the ' +
      'backward only',
    async () => {
      const f = await failsOn(patternCases(F32), keepsTheHashedElements(backwardMaskDiffers), 8);
      expect(f.message).toMatch(BACKWARD_DIFFERS);
      expect(f.message).not.toMatch(FORWARD_DIFFERS);
    },
  );

  it('can fail: the p = 0 property fails when any dropout option switches the code path', async () =>
    expect((await failsOn(noDropoutCases(F32), pZeroIsNoDropout(pZeroTakesOtherPath), 8)).message).toMatch(
      /^p = 0 vs no dropout: (out|dq|dk|dv): /m,
    ));

  it(
    'can fail: the kernel drop-rate property fails when p is taken as the keep probability (never at p = 0.5, where ' +
      'they coincide)',
    async () => {
      const f = await failsOn(RATE_CASES, kernelDropRateIsP(keepProbConfusion), 12);
      expect(f.message).toMatch(RATE_REJECTED);
      expect(f.counterexample.dropout!.p).not.toBe(0.5);
    },
  );

  it(
    'can fail: the hash drop-rate property fails on a hash that keeps with probability p instead of 1 - p (never ' +
      'at p = 0.5)',
    async () => {
      const f = await failsOn(
        BLOCKS,
        hashDropRateIsP((seed, b, h, i, j, p) => dropoutKeep(seed, b, h, i, j, 1 - p)),
        6,
      );
      expect(f.message).toMatch(RATE_REJECTED);
      expect(f.counterexample.p).not.toBe(0.5);
    },
  );

  it('can fail: the binomial test accepts the expected count and rejects a count 6 sigma away', async () => {
    expect(binomialTwoSided(5000, 10000, 0.5)).toBeCloseTo(1, 6);
    expect(binomialTwoSided(5300, 10000, 0.5)).toBeLessThan(ALPHA);
  });
});
