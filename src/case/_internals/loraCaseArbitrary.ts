/** The engine behind `loraCase`: independent primitives, shrinking toward the smallest adapter. */
import fc from 'fast-check';
import type { ResolvedLoraConstraints } from '../constraints.js';
import { CASE_VERSION, type LoraCase } from '../types.js';
import { rarely, seed } from './biased.js';

/** alpha = r is the usual default (s = 1); the others test the scaling conventions. */
const ALPHAS = [1, 2, 8, 16, 0.5, 3];

export function buildLoraCaseArbitrary(k: ResolvedLoraConstraints): fc.Arbitrary<LoraCase> {
  return fc
    .record({
      dropout: k.allowDropout
        ? rarely(fc.record({ p: fc.constantFrom(0.5, 0.1, 0.9, 0), seed: seed() }), 3)
        : fc.constant(null),
      bZero: k.allowBZero ? fc.boolean() : fc.constant(false),
      rslora: fc.boolean(),
      precision: fc.constantFrom(...k.precisions),
      alpha: fc.constantFrom(...ALPHAS),
      rank: fc.integer({ min: 1, max: k.maxRank }),
      N: fc.integer({ min: 1, max: k.maxN }),
      in: fc.integer({ min: 1, max: k.maxFeatures }),
      out: fc.integer({ min: 1, max: k.maxFeatures }),
      seed: seed(),
    })
    .map(
      (p): LoraCase => ({
        version: CASE_VERSION,
        kind: 'lora',
        rank: p.rank,
        alpha: p.alpha,
        rslora: p.rslora,
        dropout: p.dropout,
        N: p.N,
        in: p.in,
        out: p.out,
        precision: p.precision,
        seed: p.seed,
        ...(p.bZero ? { bZero: true } : {}),
        ...k.fixed,
      }),
    );
}
