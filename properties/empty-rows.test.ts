/**
 * Empty rows: a query that sees no key (left padding with a causal mask, a fully masked row, a
 * window past the keys, bottom-right causal with Sq > Sk, an empty batch row) has output 0 and
 * zero gradients: dq is 0 on that row, its dOut reaches no dk or dv, and every value is finite, in
 * every kernel and precision. Older PyTorch SDPA gave NaN, eager with a finite minimum gives
 * uniform weights (pytorch/pytorch#41508, #103749).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import nanOnEmptyRows from '../fixtures/broken-kernels/nan-on-empty-rows.js';
import { type AttentionCase, attentionCase } from '../src/case/index.js';
import { ATTENTION_TENSORS, PRECISIONS, type Precision, visible } from '../src/contract/index.js';
import { attentionOptions } from '../src/data/index.js';
import { allFinite, allZero, compareTensors } from './support/compare.js';
import { allOf, failsOn, holds, type Relation } from './support/engine.js';
import { BUILTINS, type KernelArg, kernelFor, materialise, run, withMaterial } from './support/run.js';

/** emptyRows[(b·Hq + h)·Sq + i] = 1 iff query i of head h in batch row b sees no key. */
function emptyRows(c: AttentionCase): Uint8Array {
  const { B, Hq, Sq, Sk } = c.shapes;
  const opts = attentionOptions(c);
  const out = new Uint8Array(B * Hq * Sq);
  for (let r = 0; r < out.length; r++) {
    const [b, h, i] = [Math.floor(r / (Hq * Sq)), Math.floor(r / Sq) % Hq, r % Sq];
    let seen = false;
    for (let j = 0; j < Sk && !seen; j++) seen = visible(opts, c.shapes, b, h, i, j);
    out[r] = seen ? 0 : 1;
  }
  return out;
}

/** The case with batch row 0 fully padded (keyLengths[0] = 0): at least one empty row. */
const withEmptyBatchRow = (c: AttentionCase): AttentionCase => ({
  ...c,
  keyLengths: (c.keyLengths ?? Array<number>(c.shapes.B).fill(c.shapes.Sk)).map((l, b) => (b === 0 ? 0 : l)),
});

/** Cases with at least one empty row: found among generic cases, or made by emptying a batch row. */
function casesWithEmptyRows(precision: Precision, allowDropout = true): fc.Arbitrary<AttentionCase> {
  const generic = attentionCase({
    maxBatch: 2,
    maxHeads: 4,
    maxSeq: 8,
    maxHeadDim: 8,
    layouts: ['BHSD'],
    precisions: [precision],
    allowDropout,
  });
  return fc.oneof(
    generic.filter((c) => emptyRows(c).includes(1)),
    generic.map(withEmptyBatchRow),
  );
}

/** Empty rows give output 0, dq 0, no gradient through their dOut, and nothing non-finite. */
function emptyRowsAreZero(kernel: KernelArg): Relation<AttentionCase> {
  return (c) => {
    const { D, Dv } = c.shapes;
    const empty = emptyRows(c);
    const onEmpty = (d: number) => (n: number) => empty[Math.floor(n / d)] === 1;
    const k = kernelFor(kernel, c);
    const m = materialise(c);
    const r = run(k, m);
    // The same call with dOut zeroed on the empty rows: dk and dv must not move.
    const quiet = run(
      k,
      withMaterial(m, {
        inputs: {
          dOut: { ...m.inputs.dOut, data: m.inputs.dOut.data.map((x, n) => (empty[Math.floor(n / Dv)] ? 0 : x)) },
        },
      }),
    );
    return allOf(
      ...ATTENTION_TENSORS.map((t) => allFinite(t, r[t])),
      allZero('out on empty rows', r.out, onEmpty(Dv)),
      allZero('dq on empty rows', r.dq, onEmpty(D)),
      compareTensors('dk (dOut of empty rows zeroed vs not)', quiet.dk, r.dk, 'exact'),
      compareTensors('dv (dOut of empty rows zeroed vs not)', quiet.dv, r.dv, 'exact'),
    );
  };
}

describe('empty rows: output 0, zero gradients, everything finite', () => {
  for (const kernel of BUILTINS)
    for (const precision of PRECISIONS)
      it(
        `${kernel} in ${precision}: a query that sees no key has output 0, dq 0, no gradient through its ` +
          `dOut, nothing non-finite`,
        async () => holds(casesWithEmptyRows(precision), emptyRowsAreZero(kernel), 10),
      );
});

describe('empty rows, on a broken kernel', () => {
  it('can fail: a kernel whose softmax of an all -inf row is NaN (pytorch#41508): its out is NaN', async () => {
    const f = await failsOn(casesWithEmptyRows('float32', false), emptyRowsAreZero(nanOnEmptyRows), 8);
    expect(f.message).toMatch(/^out: non-finite NaN at /m);
    expect(f.message).toMatch(
      /^out on empty rows \(must be 0\): \d+ of \d+ element\(s\) differ \(exact\), worst at \S+: NaN vs 0/m,
    );
  });
});
