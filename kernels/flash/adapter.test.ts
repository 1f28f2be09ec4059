/**
 * The flash kernel behind the contract matches the float64 reference for every contract option,
 * at block sizes that do and do not divide the sequence lengths, and leaks no tensor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/backend/index.js';
import {
  type AttentionOptions,
  type AttentionShapes,
  FLOAT32_REL_BOUND,
  type Precision,
  UNIT_ROUNDOFF,
} from '../../src/contract/index.js';
import { errorsVsReference, optionsFor, randomMask, shapesOf, WorstErrors } from '../../test/support/flashTesting.js';
import { flashKernelWith } from './adapter.js';

interface Case {
  readonly name: string;
  readonly s: AttentionShapes;
  readonly o: (s: AttentionShapes) => Partial<AttentionOptions>;
}

const none = () => ({});
const CASES: Case[] = [
  { name: 'Sq < Sk', s: shapesOf(1, 2, 1, 3, 7, 4), o: none },
  { name: 'Sq > Sk', s: shapesOf(1, 2, 1, 7, 3, 4), o: none },
  { name: 'Sq = 1 (decode)', s: shapesOf(2, 2, 2, 1, 6, 4), o: () => ({ causal: 'bottom-right' }) },
  { name: 'Sq = 1 top-left sees key 0 only', s: shapesOf(1, 2, 1, 1, 5, 4), o: () => ({ causal: 'top-left' }) },
  { name: 'Dv != D', s: shapesOf(1, 2, 1, 5, 5, 4, 3), o: none },
  { name: 'D = 1', s: shapesOf(1, 1, 1, 4, 5, 1), o: none },
  // On wasm a [n, 1] block and its [1, n] transpose are the same data: see blocks.ts (Operand).
  { name: 'D = Dv = 1, GQA, causal', s: shapesOf(1, 2, 1, 10, 10, 1), o: () => ({ causal: 'bottom-right' }) },
  { name: 'odd D', s: shapesOf(2, 3, 1, 5, 4, 5, 7), o: none },
  { name: 'top-left, Sq < Sk', s: shapesOf(1, 2, 2, 3, 6, 3), o: () => ({ causal: 'top-left' }) },
  { name: 'top-left, Sq > Sk', s: shapesOf(1, 2, 2, 6, 3, 3), o: () => ({ causal: 'top-left' }) },
  { name: 'bottom-right, Sq < Sk', s: shapesOf(1, 2, 2, 3, 6, 3), o: () => ({ causal: 'bottom-right' }) },
  { name: 'bottom-right, Sq > Sk (empty rows)', s: shapesOf(1, 2, 2, 6, 3, 3), o: () => ({ causal: 'bottom-right' }) },
  { name: 'window [1, 0]', s: shapesOf(1, 2, 1, 6, 6, 3), o: () => ({ window: [1, 0] }) },
  { name: 'window [0, 2], Sq < Sk', s: shapesOf(1, 2, 1, 4, 7, 3), o: () => ({ window: [0, 2] }) },
  {
    name: 'window [2, -1] + top-left',
    s: shapesOf(1, 2, 1, 6, 5, 3),
    o: () => ({ window: [2, -1], causal: 'top-left' }),
  },
  { name: 'window [-1, 1], Sq > Sk', s: shapesOf(1, 1, 1, 7, 4, 3), o: () => ({ window: [-1, 1] }) },
  { name: 'keyLengths right', s: shapesOf(3, 2, 1, 4, 6, 3), o: () => ({ keyLengths: [6, 2, 0] }) },
  {
    name: 'keyLengths left + causal (empty rows)',
    s: shapesOf(2, 2, 1, 5, 5, 3),
    o: () => ({ keyLengths: [3, 5], paddingSide: 'left', causal: 'top-left' }),
  },
  {
    name: 'mask [1,1,Sq,Sk]',
    s: shapesOf(2, 2, 1, 5, 6, 3),
    o: (s) => ({ mask: randomMask([1, 1, s.Sq, s.Sk], 'a') }),
  },
  {
    name: 'mask [B,1,Sq,Sk]',
    s: shapesOf(2, 2, 1, 5, 6, 3),
    o: (s) => ({ mask: randomMask([s.B, 1, s.Sq, s.Sk], 'b') }),
  },
  {
    name: 'mask [1,Hq,Sq,Sk] with GQA',
    s: shapesOf(1, 4, 2, 5, 6, 3),
    o: (s) => ({ mask: randomMask([1, s.Hq, s.Sq, s.Sk], 'c', 0.4) }),
  },
  {
    name: 'mask [B,Hq,Sq,Sk] sparse + window',
    s: shapesOf(2, 2, 2, 6, 6, 2),
    o: (s) => ({ mask: randomMask([s.B, s.Hq, s.Sq, s.Sk], 'd', 0.2), window: [2, 1] }),
  },
  { name: 'dropout', s: shapesOf(2, 2, 1, 5, 6, 3), o: () => ({ dropout: { p: 0.3, seed: 1234 } }) },
  {
    name: 'dropout + causal + keyLengths',
    s: shapesOf(2, 4, 2, 6, 6, 3),
    o: () => ({ dropout: { p: 0.5, seed: 99 }, causal: 'bottom-right', keyLengths: [4, 6] }),
  },
  { name: 'scale 0.9', s: shapesOf(1, 1, 1, 4, 4, 2), o: () => ({ scale: 0.9 }) },
];

// Every GQA ratio for Hq up to 6.
for (let Hq = 1; Hq <= 6; Hq++) {
  for (let Hkv = 1; Hkv <= Hq; Hkv++) {
    if (Hq % Hkv === 0)
      CASES.push({
        name: `GQA Hq=${Hq} Hkv=${Hkv}`,
        s: shapesOf(1, Hq, Hkv, 4, 5, 3, 2),
        o: () => ({ causal: 'bottom-right' }),
      });
  }
}

const BLOCKS: Array<[number, number]> = [
  [1, 1],
  [2, 3],
  [3, 2],
  [16, 16],
  [1, 16],
  [16, 2],
];

function runCase(c: Case, Br: number, Bc: number, precision: Precision) {
  const opts = optionsFor(c.s, { ...c.o(c.s), precision });
  const before = tf.memory().numTensors;
  const e = errorsVsReference(flashKernelWith({ Br, Bc }), c.s, opts, c.name);
  expect(tf.memory().numTensors, `${c.name}: tensors leaked`).toBe(before);
  return e;
}

describe('flash kernel vs the float64 reference, float32', () => {
  const worst = new WorstErrors();
  afterAll(() => console.log(worst.report(`flash float32 worst maxRelError (bound ${FLOAT32_REL_BOUND})`)));
  for (const [Br, Bc] of BLOCKS) {
    it(`every contract option within FLOAT32_REL_BOUND at Br=${Br}, Bc=${Bc}`, () => {
      for (const c of CASES) {
        const e = runCase(c, Br, Bc, 'float32');
        worst.add(`${c.name}, Br=${Br} Bc=${Bc}`, e);
        for (const [name, err] of Object.entries(e))
          expect(err, `${c.name}: ${name}`).toBeLessThanOrEqual(FLOAT32_REL_BOUND);
      }
    });
  }
});

// On wasm the tile products run one 2-D product per head on weights cut once per pass (blocks.ts).
describe('flash kernel vs the float64 reference on wasm, float32', () => {
  beforeAll(() => useBackend('wasm'));
  afterAll(() => useBackend('cpu'));
  for (const [Br, Bc] of [
    [2, 3],
    [16, 16],
  ] as Array<[number, number]>) {
    it(`every contract option within FLOAT32_REL_BOUND at Br=${Br}, Bc=${Bc}`, () => {
      for (const c of CASES) {
        for (const [name, err] of Object.entries(runCase(c, Br, Bc, 'float32')))
          expect(err, `${c.name}: ${name}`).toBeLessThanOrEqual(FLOAT32_REL_BOUND);
      }
    });
  }
});

/**
 * Emulated bf16/fp16: inputs arrive rounded (to both sides); flash then rounds P~ before P·V and
 * the output, and the entry rounding rounds the gradients. Each is a relative error <= u
 * (UNIT_ROUNDOFF) of the values it touches, and the backward chains a few of them (dO rounded,
 * dV from rounded P, dq/dk/dv rounded), so the bound is 4u: bf16 1.6e-2, fp16 2.0e-3.
 */
const LOW_BOUND_UNITS = 4;

describe.each(['bfloat16', 'float16'] as const)('flash kernel vs the float64 reference, %s', (precision) => {
  const worst = new WorstErrors();
  const bound = LOW_BOUND_UNITS * UNIT_ROUNDOFF[precision];
  afterAll(() => console.log(worst.report(`flash ${precision} worst maxRelError (bound ${bound.toExponential(2)})`)));
  for (const [Br, Bc] of [
    [2, 3],
    [16, 16],
  ] as Array<[number, number]>) {
    it(`every contract option within ${LOW_BOUND_UNITS}u at Br=${Br}, Bc=${Bc}`, () => {
      for (const c of CASES) {
        const e = runCase(c, Br, Bc, precision);
        worst.add(`${c.name}, Br=${Br} Bc=${Bc}`, e);
        for (const [name, err] of Object.entries(e)) expect(err, `${c.name}: ${name}`).toBeLessThanOrEqual(bound);
      }
    });
  }
});
