/**
 * Attention over K/V chunks merged by log-sum-exp equals attention over all keys (how
 * flash-decoding and ring attention combine partial results), with empty chunks and rows that see
 * no key of a chunk. Checked on flash's native forward with lse (no mask: unrestricted cases) and on
 * the float64 reference with every option (each restriction written as an explicit mask, so keys
 * can be cut anywhere). Measured over 150 cases: flash out within 0.7u (float32), 0.2u (bfloat16),
 * 0.25u (float16) of max|v|, its lse (float32 in every precision) within 1.6 float32 u; the
 * reference within 2.2e-16. Allowed: 4u of the case's precision (lse: of float32), and for the
 * reference 1e-12 plus 8 float64 u per unit of |lse| in out: merging rescales each chunk by
 * e^(lse_c - lse), and 'offset' values put every logit of a row near ±1e5, so each weight carries
 * about 1e5·u = 2e-11 (seen: 8.3e-12 of max|v| at Sq 1, Sk 5, cut after key 1, ATTNFUZZ_SEED=5).
 */
import { describe, expect, it } from 'vitest';
import { flashLseInBase2, referenceLseWithoutMax } from '../fixtures/broken-kernels/metamorphic/lse.js';
import { flashAttnFuncWithLse } from '../kernels/flash/index.js';
import { type HostTensor, maxAbs } from '../src/contract/index.js';
import { ulps } from './support/compare.js';
import { failsOn, holds } from './support/engine.js';
import { chunkCases, chunkMerge, flashForwardWithLse, referenceForwardWithLse } from './support/metamorphic-keys.js';

const flashCases = chunkCases(true);
const referenceCases = chunkCases(false);
const TOL = ulps(4);
const U64 = 2 ** -53;
const F64 = { rel: 1e-12 };
const F64_OUT = (lse: HostTensor) => ({ rel: 1e-12 + 8 * U64 * maxAbs(lse) });

describe('chunks merged by log-sum-exp', () => {
  it('flash: K/V chunks merged by their softmaxLse equal attention over all keys', async () => {
    await holds(
      flashCases,
      (c) => chunkMerge(flashForwardWithLse(flashAttnFuncWithLse), TOL[c.case.precision], TOL.float32)(c),
      20,
    );
  });

  it('reference: K/V chunks merged by their lse equal attention over all keys, for every option', async () => {
    await holds(referenceCases, chunkMerge(referenceForwardWithLse, F64_OUT, F64), 40);
  });

  it('can fail: a flash whose lse is left in base 2', async () => {
    const f = await failsOn(
      flashCases,
      (c) => chunkMerge(flashForwardWithLse(flashLseInBase2), TOL[c.case.precision], TOL.float32)(c),
      20,
    );
    expect(f.message).toMatch(/^chunks \[[\d,]+\] merged by lse, \w+: (out|lse): /m);
    // One chunk with keys merges to itself: only two or more can disagree.
    expect(
      new Set(f.counterexample.cuts.filter((x) => x > 0 && x < f.counterexample.case.shapes.Sk)).size,
    ).toBeGreaterThan(0);
  });

  it('can fail: a reference whose lse forgets the row maximum', async () => {
    const f = await failsOn(referenceCases, chunkMerge(referenceLseWithoutMax, F64_OUT, F64), 40);
    expect(f.message).toMatch(/^chunks \[[\d,]+\] merged by lse, \w+: lse: /m);
  });
});
