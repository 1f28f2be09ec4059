/**
 * flash matches the float64 reference for random combinations of every contract option and
 * block sizes (the table in adapter.test.ts covers each option alone; this covers them mixed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEED } from '../../fixtures/profile.js';
import { tf } from '../../src/backend/index.js';
import { type AttentionOptions, CAUSALS, FLOAT32_REL_BOUND } from '../../src/contract/index.js';
import { referenceAttention } from '../../src/reference/index.js';
import { makeInputs, optionsFor, randomMask, shapesOf } from '../../test/support/flashTesting.js';
import { naturalErrors } from '../../test/support/kernelTesting.js';
import { flashKernelWith } from './adapter.js';

const caseArb = fc
  .record({
    B: fc.integer({ min: 1, max: 2 }),
    Hkv: fc.integer({ min: 1, max: 2 }),
    G: fc.integer({ min: 1, max: 3 }),
    Sq: fc.integer({ min: 1, max: 6 }),
    Sk: fc.integer({ min: 1, max: 6 }),
    D: fc.integer({ min: 1, max: 4 }),
    Dv: fc.integer({ min: 1, max: 4 }),
    causal: fc.constantFrom(...CAUSALS),
    window: fc.option(fc.tuple(fc.integer({ min: -1, max: 3 }), fc.integer({ min: -1, max: 3 }))),
    padding: fc.option(
      fc.record({
        side: fc.constantFrom('right' as const, 'left' as const),
        lens: fc.array(fc.nat(), { minLength: 2, maxLength: 2 }),
      }),
    ),
    mask: fc.option(fc.record({ perBatch: fc.boolean(), perHead: fc.boolean(), seed: fc.nat() })),
    dropout: fc.option(fc.record({ p: fc.constantFrom(0.2, 0.5), seed: fc.nat() })),
    Br: fc.constantFrom(1, 2, 3, 16),
    Bc: fc.constantFrom(1, 2, 3, 16),
  })
  .map((c) => {
    const s = shapesOf(c.B, c.Hkv * c.G, c.Hkv, c.Sq, c.Sk, c.D, c.Dv);
    const extra: Partial<AttentionOptions> = {
      causal: c.causal,
      window: c.window,
      keyLengths: c.padding === null ? null : c.padding.lens.slice(0, c.B).map((l) => l % (c.Sk + 1)),
      paddingSide: c.padding?.side ?? 'right',
      mask:
        c.mask === null
          ? null
          : randomMask([c.mask.perBatch ? c.B : 1, c.mask.perHead ? s.Hq : 1, c.Sq, c.Sk], String(c.mask.seed)),
      dropout: c.dropout,
    };
    return { s, opts: optionsFor(s, extra), Br: c.Br, Bc: c.Bc };
  });

/**
 * Errors are measured against the size of the terms each tensor sums (`naturalErrors`), as the
 * oracle does: Algorithm 2 takes D = rowsum(dO∘O) from the forward's O instead of rowsum(P∘dP), so
 * with dropout (1/(1-p) = 1.25 is not a power of two) a row with one visible key has dS ~1e-7
 * instead of exactly 0; against max|dq| ~5e-3 of such a case that reads as 7e-5, against the terms
 * it is ~1e-9. One bound for every tensor and every seed.
 */
describe('flash on random option mixes', () => {
  it('matches the float64 reference within FLOAT32_REL_BOUND of the terms, and leaks nothing', () => {
    fc.assert(
      fc.property(caseArb, ({ s, opts, Br, Bc }) => {
        const before = tf.memory().numTensors;
        const inputs = makeInputs(s, 'random', opts.precision);
        const e = naturalErrors(flashKernelWith({ Br, Bc }), inputs, opts, s, referenceAttention(inputs, opts));
        expect(tf.memory().numTensors).toBe(before);
        for (const [name, err] of Object.entries(e)) expect(err, name).toBeLessThanOrEqual(FLOAT32_REL_BOUND);
      }),
      { numRuns: 80, seed: SEED },
    );
  });
});
