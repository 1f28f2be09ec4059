/**
 * Keys no query can see change nothing: appending them (hidden beyond keyLengths, or false in the
 * boolean mask; prepended where bottom-right alignment or a window is anchored at the last key)
 * leaves out and dq as they were, the original keys' dk and dv too, and gives the new keys
 * exactly zero dk and dv. Measured over 150 cases: eager and sdpa bit-identical, flash within 0.5u
 * (float32), 0.01u (bfloat16), 0.45u (float16) of the natural scale (its key tiles shift when keys
 * are prepended); allowed 4 units of roundoff.
 */
import { describe, expect, it } from 'vitest';
import { ignoresKeyLengths, ignoresMask } from './broken-metamorphic/contract.js';
import { BUILTINS } from './support/metamorphic-attention.js';
import { appendCases, appendedKeys } from './support/metamorphic-keys.js';
import { failsOn, holds, ulps } from './support/metamorphic.js';

const cases = appendCases();
const TOL = ulps(4);

describe('appended fully masked keys', () => {
  it.each(BUILTINS)('%s: appending keys hidden by keyLengths or the mask changes nothing, and they get zero dk, dv', (_, kernelFor) => {
    holds(cases, (a) => appendedKeys(kernelFor, TOL[a.case.precision])(a), 15);
  });

  it('can fail: a kernel that lets keys beyond keyLengths contribute', () => {
    const f = failsOn(cases, (a) => appendedKeys(() => ignoresKeyLengths, TOL[a.case.precision])(a), 30);
    expect(f.counterexample.how).toBe('keyLengths');
  });

  it('can fail: a kernel that ignores the boolean mask', () => {
    const f = failsOn(cases, (a) => appendedKeys(() => ignoresMask, TOL[a.case.precision])(a), 30);
    expect(f.counterexample.how).toBe('mask');
  });
});
