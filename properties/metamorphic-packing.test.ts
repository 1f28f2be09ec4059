/**
 * A padded batch equals the same sequences alone, and packed: the contract kernels on a padded
 * self-attention batch (keyLengths, either padding side, any causal alignment) give each row's real
 * tokens what the same kernel gives on that sequence alone, and zero dk, dv to padding keys;
 * flash_attn_varlen_func on packed sequences gives what flash_attn_func gives on each one.
 * Measured over 150 cases each: eager, sdpa and varlen bit-identical; flash padded bit-identical in
 * float32 and bfloat16, within 0.02u in float16 (its tiles start at other keys under left
 * padding). Allowed: 4 units of roundoff of the natural scale.
 */
import { describe, expect, it } from 'vitest';
import { ignoresKeyLengths } from '../fixtures/broken-kernels/metamorphic/contract.js';
import { varlenAcrossDocuments } from '../fixtures/broken-kernels/metamorphic/varlen.js';
import { flashAttnVarlenFunc } from '../kernels/flash/index.js';
import { ulps } from './support/compare.js';
import { failsOn, holds } from './support/engine.js';
import {
  packedCases,
  packedEqualsPerSequence,
  paddedCases,
  paddedEqualsPerSequence,
} from './support/metamorphic-packing.js';
import { BUILTINS } from './support/run.js';

const padded = paddedCases();
const packed = packedCases();
const TOL = ulps(4);

describe('padded batch = sequences alone = packed', () => {
  it.each(BUILTINS)(
    '%s: each row of a padded batch equals its sequence alone, and padding keys get zero dk, dv',
    async (kernel) => {
      await holds(padded, (c) => paddedEqualsPerSequence(kernel, TOL[c.precision])(c), 12);
    },
  );

  it('flash varlen: packed sequences equal flash_attn_func on each sequence alone', async () => {
    await holds(packed, (p) => packedEqualsPerSequence(flashAttnVarlenFunc, TOL[p.case.precision])(p), 15);
  });

  it('can fail: a kernel that lets padding keys contribute', async () => {
    const f = await failsOn(padded, (c) => paddedEqualsPerSequence(ignoresKeyLengths, TOL[c.precision])(c), 20);
    expect(f.message).toMatch(
      /^eager-ignores-key-lengths row \d \(\d+ of \d+ tokens, (left|right) padding, \w+\) (out|dq|dk|dv)/m,
    );
    expect(f.counterexample.keyLengths!.some((l) => l < f.counterexample.shapes.Sk)).toBe(true);
  });

  it('can fail: a varlen whose sequences attend to the documents packed before them', async () => {
    const f = await failsOn(
      packed,
      (p) => packedEqualsPerSequence(varlenAcrossDocuments, TOL[p.case.precision])(p),
      20,
    );
    expect(f.message).toMatch(/^varlen \[[\d,]+\]x\[[\d,]+\] (causal )?\w+: (out|dq|dk|dv): /m);
    expect(f.counterexample.lensK.length).toBeGreaterThan(1);
  });
});
