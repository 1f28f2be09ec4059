/**
 * Decode consistency: the last m query rows against the full K/V give exactly those rows of the
 * full computation, under bottom-right causality (where a decode step's diagonal sits). sdpa's
 * native is_causal is top-left; its contract adapter must give it bottom-right semantics.
 * Measured: eager and sdpa bit-identical; flash within 1e-7 of dk/dv (its key tiles start at
 * different rows); allowed 4 float32 units of roundoff (2.4e-7) of the natural scale.
 */
import { describe, expect, it } from 'vitest';
import { topLeftDecode } from '../fixtures/broken-kernels/metamorphic/contract.js';
import { ulps } from './support/compare.js';
import { failsOn, holds } from './support/engine.js';
import { decodeCases, decodeConsistency } from './support/metamorphic-attention.js';
import { BUILTINS } from './support/run.js';

const cases = decodeCases();
const TOL = ulps(4);

describe('decode consistency', () => {
  it.each(BUILTINS)(
    '%s: the last m query rows alone equal those rows of the full bottom-right call',
    async (kernel) => {
      await holds(cases, (d) => decodeConsistency(kernel, TOL[d.case.precision])(d), 15);
    },
  );

  it('can fail: a kernel that aligns the causal diagonal top-left', async () => {
    const f = await failsOn(cases, (d) => decodeConsistency(topLeftDecode, TOL[d.case.precision])(d), 15);
    expect(f.message).toMatch(/^eager-top-left-decode last \d+ of \d+ rows (out|dq|dk|dv): /m);
    // Top-left and bottom-right coincide only when both calls are square.
    const { m, case: c } = f.counterexample;
    expect(m !== c.shapes.Sk || c.shapes.Sq !== c.shapes.Sk).toBe(true);
  });
});
