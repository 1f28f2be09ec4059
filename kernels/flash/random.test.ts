/**
 * flash matches the float64 reference for random combinations of every contract option and
 * block sizes (the table in adapter.test.ts covers each option alone; this covers them mixed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend/index.js';
import { CAUSALS, FLOAT32_REL_BOUND, type AttentionOptions } from '../../src/contract/index.js';
import { flashKernelWith } from './adapter.js';
import { errorsVsReference, optionsFor, randomMask, shapesOf } from './testing.js';

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
    padding: fc.option(fc.record({ side: fc.constantFrom('right' as const, 'left' as const), lens: fc.array(fc.nat(), { minLength: 2, maxLength: 2 }) })),
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
      mask: c.mask === null ? null : randomMask([c.mask.perBatch ? c.B : 1, c.mask.perHead ? s.Hq : 1, c.Sq, c.Sk], String(c.mask.seed)),
      dropout: c.dropout,
    };
    return { s, opts: optionsFor(s, extra), Br: c.Br, Bc: c.Bc };
  });

/**
 * Algorithm 2 takes D = rowsum(dO∘O) from the forward's O instead of rowsum(P∘dP). With dropout
 * (scale 1/(1-p) = 1.25 is not a power of two) the two round differently, so in a row with one
 * visible key dS = P∘(dP - D) is ~1e-7 instead of exactly 0 (reference, eager). When every row of
 * a case sees at most one or two keys, max|dq| is ~5e-3 and the norm-wise error reaches 7e-5:
 * measured 3 of 400 random mixes (seed 7) above FLOAT32_REL_BOUND, all with dropout, worst 6.9e-5 (dk).
 */
const DROPOUT_GRAD_BOUND = 2e-4;

describe('flash on random option mixes', () => {
  it('matches the float64 reference within FLOAT32_REL_BOUND and leaks nothing', () => {
    fc.assert(
      fc.property(caseArb, ({ s, opts, Br, Bc }) => {
        const before = tf.memory().numTensors;
        const e = errorsVsReference(flashKernelWith({ Br, Bc }), s, opts, 'random');
        expect(tf.memory().numTensors).toBe(before);
        for (const [name, err] of Object.entries(e)) {
          const bound = opts.dropout !== null && (name === 'dq' || name === 'dk') ? DROPOUT_GRAD_BOUND : FLOAT32_REL_BOUND;
          expect(err, name).toBeLessThanOrEqual(bound);
        }
      }),
      { numRuns: 80, seed: 7 },
    );
  });
});
