/**
 * Keys no query can see change nothing: appending them (hidden beyond keyLengths, or false in the
 * boolean mask; prepended where bottom-right alignment or a window is anchored at the last key)
 * leaves out and dq as they were, the original keys' dk and dv too, and gives the new keys
 * exactly zero dk and dv. Measured over 150 cases: eager and sdpa bit-identical, flash within 0.5u
 * (float32), 0.01u (bfloat16), 0.45u (float16) of the natural scale (its key tiles shift when keys
 * are prepended); allowed 4 units of roundoff.
 */
import { describe, expect, it } from 'vitest';
import { ignoresKeyLengths, ignoresMask } from '../fixtures/broken-kernels/metamorphic/contract.js';
import { ulps } from './support/compare.js';
import { failsOn, holds } from './support/engine.js';
import { appendCases, appendedKeys } from './support/metamorphic-keys.js';
import { BUILTINS } from './support/run.js';

const cases = appendCases();
const TOL = ulps(4);

describe('appended fully masked keys', () => {
  it.each(BUILTINS)(
    '%s: appending keys hidden by keyLengths or the mask changes nothing, and they get zero dk, dv',
    async (kernel) => {
      await holds(cases, (a) => appendedKeys(kernel, TOL[a.case.precision])(a), 15);
    },
  );

  it('can fail: a kernel that lets keys beyond keyLengths contribute', async () => {
    const f = await failsOn(cases, (a) => appendedKeys(ignoresKeyLengths, TOL[a.case.precision])(a), 30);
    expect(f.message).toMatch(
      /^eager-ignores-key-lengths with \d keys hidden by (keyLengths|mask) at the (front|back), \w+: /m,
    );
    // Only key lengths are ignored: the appended keys are hidden by them, or the case pads (its junk then leaks).
    const { how, case: c } = f.counterexample;
    expect(how === 'keyLengths' || c.keyLengths !== null).toBe(true);
  });

  it('can fail: a kernel that ignores the boolean mask', async () => {
    const f = await failsOn(cases, (a) => appendedKeys(ignoresMask, TOL[a.case.precision])(a), 30);
    expect(f.message).toMatch(
      /^eager-ignores-mask with \d keys hidden by (keyLengths|mask) at the (front|back), \w+: /m,
    );
    // Only the mask is ignored: the appended keys are hidden by it, or the case has one.
    const { how, case: c } = f.counterexample;
    expect(how === 'mask' || c.mask !== null).toBe(true);
  });
});
