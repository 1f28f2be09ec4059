/**
 * Flash's tiling is an implementation detail: any query/key block sizes (1, S ± 1, non-divisors,
 * larger than S) give the one-tile result, forward and backward, within a few units of roundoff
 * (measured: at most 0.7u in float32, 0.2u in bfloat16, 0.1u in float16 of the tensors' natural
 * scale over 320 cases; allowed 4u).
 */
import { describe, expect, it } from 'vitest';
import { flashDroppingLastBlock } from '../fixtures/broken-kernels/metamorphic/contract.js';
import { attentionCase } from '../src/case/index.js';
import { flashKernelWith } from '../src/runner/index.js';
import { ulps } from './support/compare.js';
import { failsOn, holds } from './support/engine.js';
import { blockIndependence, SMALL } from './support/metamorphic-attention.js';

const cases = attentionCase(SMALL);
const TOL = ulps(4);

describe('flash block sizes', () => {
  it('flash gives the same out, dq, dk, dv for any block sizes Br, Bc as with one tile', async () => {
    await holds(cases, blockIndependence(flashKernelWith, TOL), 25);
  });

  it('can fail: a flash whose key grid drops the last partial block', async () => {
    const f = await failsOn(cases, blockIndependence(flashDroppingLastBlock, TOL), 25);
    expect(f.message).toMatch(/^flash\(Br=\d+,Bc=\d+\) vs one tile, \w+: (out|dq|dk|dv): /m);
    // One 64-wide tile drops every key of these short calls; tiles of Bc <= Sk keep some.
    expect(f.counterexample.blocks.Bc).toBeLessThanOrEqual(f.counterexample.shapes.Sk);
  });
});
