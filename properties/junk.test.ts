/**
 * Values at masked positions never reach outputs or gradients (pytorch/pytorch#101967): with junk
 * (±huge, see src/data/attention.ts) written into K and V at every key no query of its kv-head group
 * may see, the outputs, dq, and dk/dv at the other keys are bit-identical to the same case without
 * junk, everything is finite, and dk/dv at the junk keys are exactly 0. NaN junk too for a kernel
 * that promises never to read such keys (flash); eager and sdpa read them as transformers and
 * PyTorch do (P·V over all keys), where 0·NaN = NaN, so only finite junk is theirs.
 */
import { describe, expect, it } from 'vitest';
import junkLeaks from '../fixtures/broken-kernels/junk-leaks.js';
import { type AttentionCase, attentionCase, type Junk } from '../src/case/index.js';
import { ATTENTION_TENSORS, PRECISIONS, type Precision } from '../src/contract/index.js';
import { attentionOptions, invisibleKeys } from '../src/data/index.js';
import { allFinite, allZero, compareTensors } from './support/compare.js';
import { allOf, failsOn, holds, type Relation } from './support/engine.js';
import { BUILTINS, type KernelArg, kernelFor, materialise, run, underTest } from './support/run.js';

/** Cases with junk and at least one key that nobody sees (else there is nowhere to put it). */
const casesWithJunk = (precision: Precision, junk: readonly Junk[] = ['huge', 'nan']) =>
  attentionCase({
    maxBatch: 2,
    maxHeads: 4,
    maxSeq: 8,
    maxHeadDim: 8,
    junk,
    layouts: ['BHSD'],
    precisions: [precision],
  }).filter((c) => invisibleKeys(attentionOptions(c), c.shapes).includes(1));

/** NaN junk only for kernels that promise never to read unseen keys. */
const junkFor = (kernel: KernelArg): readonly Junk[] =>
  underTest(typeof kernel === 'string' ? kernel : kernel).attention!().guarantees?.unseenKeysUnread
    ? ['huge', 'nan']
    : ['huge'];

/** Junk at keys nobody sees changes nothing, stays out of every value, and gets zero gradient. */
function junkNeverLeaks(kernel: KernelArg): Relation<AttentionCase> {
  return (c) => {
    const k = kernelFor(kernel, c);
    const m = materialise(c);
    const hidden = invisibleKeys(m.options, c.shapes); // [B, Hkv, Sk]
    const withJunk = run(k, m);
    const clean = run(k, materialise({ ...c, junk: 'none' }));
    const atJunk = (d: number) => (n: number) => hidden[Math.floor(n / d)] === 1;
    const notJunk = (d: number) => (n: number) => hidden[Math.floor(n / d)] === 0;
    const { D, Dv } = c.shapes;
    return allOf(
      ...ATTENTION_TENSORS.map((t) => allFinite(t, withJunk[t])),
      compareTensors('out', withJunk.out, clean.out, 'exact'),
      compareTensors('dq', withJunk.dq, clean.dq, 'exact'),
      compareTensors('dk at seen keys', withJunk.dk, clean.dk, 'exact', { where: notJunk(D) }),
      compareTensors('dv at seen keys', withJunk.dv, clean.dv, 'exact', { where: notJunk(Dv) }),
      allZero('dk at junk keys', withJunk.dk, atJunk(D)),
      allZero('dv at junk keys', withJunk.dv, atJunk(Dv)),
    );
  };
}

describe('values at masked positions never reach outputs or gradients', () => {
  for (const kernel of BUILTINS)
    for (const precision of PRECISIONS)
      it(
        `${kernel} in ${precision}: ${junkFor(kernel).join(' and ')} junk at keys nobody sees changes no ` +
          `output or gradient and gets zero gradient`,
        async () => holds(casesWithJunk(precision, junkFor(kernel)), junkNeverLeaks(kernel), 10),
      );
  it(
    'NaN junk is for the kernels that promise it: flash does, eager and sdpa (faithful to transformers and ' +
      'PyTorch) do not',
    async () =>
      expect(BUILTINS.map((k) => [k, junkFor(k).includes('nan')])).toEqual([
        ['eager', false],
        ['sdpa', false],
        ['flash', true],
      ]),
  );
});

describe('junk, on a broken kernel', () => {
  it(
    'can fail: a kernel that reads masked keys in P·V, so NaN junk leaks as 0·NaN (pytorch#101967): a ' + 'NaN output',
    async () => {
      const f = await failsOn(casesWithJunk('float32'), junkNeverLeaks(junkLeaks), 15);
      expect(f.message).toMatch(/^out: non-finite NaN at /m);
      expect(f.counterexample.junk).toBe('nan');
    },
  );
});
