/**
 * Values at masked positions never reach outputs or gradients (pytorch/pytorch#101967): with junk
 * (±huge or NaN, see src/data/attention.ts) written into K and V at every key no query of its
 * kv-head group may see, the outputs, dq, and dk/dv at the other keys are bit-identical to the
 * same case without junk, everything is finite, and dk/dv at the junk keys are exactly 0.
 */
import { describe, expect, it } from 'vitest';
import { attentionCase, type AttentionCase } from '../src/case/index.js';
import { PRECISIONS, type HostTensor, type Precision } from '../src/contract/index.js';
import { attentionOptions, invisibleKeys } from '../src/data/index.js';
import type { AttentionKernel } from '../src/kernel/index.js';
import junkLeaks from './broken/junk-leaks.js';
import { assertProperty, BUILTINS, findingOf, kernelFor, materialize, nonFinite, property, propertyFails, run, tensorDiff, type BuiltinName, type Property } from './support/attention.js';

/** Cases with junk and at least one key that nobody sees (else there is nowhere to put it). */
const casesWithJunk = (precision: Precision) =>
  attentionCase({ maxBatch: 2, maxHeads: 4, maxSeq: 8, maxHeadDim: 8, junk: ['huge', 'nan'], layouts: ['BHSD'], precisions: [precision] }).filter(
    (c) => invisibleKeys(attentionOptions(c), c.shapes).includes(1),
  );

/** Junk at keys nobody sees changes nothing, stays out of every value, and gets zero gradient. */
function junkNeverLeaks(kernel: BuiltinName | AttentionKernel, precision: Precision): Property<AttentionCase> {
  return property(casesWithJunk(precision), (c) => {
    const k = kernelFor(kernel, c);
    const m = materialize(c);
    const hidden = invisibleKeys(m.options, c.shapes); // [B, Hkv, Sk]
    const withJunk = run(k, m);
    const clean = run(k, materialize({ ...c, junk: 'none' }));
    const atJunk = (d: number) => (n: number) => hidden[Math.floor(n / d)] === 1;
    const notJunk = (d: number) => (n: number) => hidden[Math.floor(n / d)] === 0;
    const zeros = (t: HostTensor): HostTensor => ({ shape: t.shape, data: new Float64Array(t.data.length) });
    const { D, Dv } = c.shapes;
    return findingOf([
      ...nonFinite(withJunk),
      ...tensorDiff('out', withJunk.out, clean.out),
      ...tensorDiff('dq', withJunk.dq, clean.dq),
      ...tensorDiff('dk at seen keys', withJunk.dk, clean.dk, 0, notJunk(D)),
      ...tensorDiff('dv at seen keys', withJunk.dv, clean.dv, 0, notJunk(Dv)),
      ...tensorDiff('dk at junk keys (must be 0)', withJunk.dk, zeros(withJunk.dk), 0, atJunk(D)),
      ...tensorDiff('dv at junk keys (must be 0)', withJunk.dv, zeros(withJunk.dv), 0, atJunk(Dv)),
    ]);
  });
}

describe('values at masked positions never reach outputs or gradients', () => {
  for (const kernel of BUILTINS)
    for (const precision of PRECISIONS)
      it(`${kernel} in ${precision}: huge and NaN junk at keys nobody sees changes no output or gradient and gets zero gradient`, () =>
        assertProperty(junkNeverLeaks(kernel, precision), 10));
});

describe('junk.can-fail', () => {
  it('fails on a kernel that reads masked keys in P·V, so NaN junk leaks as 0·NaN (pytorch#101967)', () =>
    expect(propertyFails(junkNeverLeaks(junkLeaks, 'float32'), 15)).toBe(true));
});
