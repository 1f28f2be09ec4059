/**
 * Split-KV: attention over key parts merged by log-sum-exp equals attention over all keys, with
 * every score option (softcap, ALiBi and bias handed to the parts as one explicit bias, the sink
 * merged as one more state), any split (empty parts included) and any merge order. Checked on the
 * float64 reference and on the flash kernel through the contract (its returned lse).
 */

import { describe, expect, it } from 'vitest';
import { mergeWithoutEmptyGuard } from '../fixtures/broken-kernels/metamorphic/merge.js';
import type { AttentionKernel } from '../src/contract/index.js';
import { flashKernel, flashKernelWith, resolveKernel } from '../src/runner/index.js';
import { ulps } from './support/compare.js';
import { failsOn, holds } from './support/engine.js';
import { referenceForwardWithLse } from './support/metamorphic-keys.js';
import { kernelForwardWithLse, splitCases, splitKvMerge } from './support/metamorphic-split-kv.js';

const cases = splitCases();
const TOL = ulps(4);
const F64 = { rel: 1e-12 };

describe('split-KV merge by log-sum-exp, with the score options', () => {
  it(
    'reference: parts merged by lse in any order equal attention over all keys, empty parts and empty ' +
      'rows included',
    async () => {
      await holds(cases, splitKvMerge(referenceForwardWithLse, F64), 60);
    },
  );

  it('flash (through the contract, its own lse): parts merged by lse equal attention over all keys', async () => {
    await holds(
      cases,
      (c) => splitKvMerge(kernelForwardWithLse(flashKernelWith(c.case.blocks)), TOL[c.case.precision], TOL.float32)(c),
      25,
    );
    expect(flashKernel.features).toMatchObject({ softcap: true, alibi: true, bias: true, sinks: true });
  });

  it('can fail: a merge without the empty-state guard gives NaN when every state of a row is empty', async () => {
    const f = await failsOn(cases, splitKvMerge(referenceForwardWithLse, F64, F64, mergeWithoutEmptyGuard), 60);
    expect(f.message).toMatch(/^parts \[[\d,]+\] merged in order \[[\d,]+\].*: (out|lse): .* NaN vs (0|-Infinity)/m);
  });

  it('can fail: a kernel whose lse is in base 2 (fixtures/broken-kernels/lse-base-2.ts)', async () => {
    const k = (await resolveKernel('fixtures/broken-kernels/lse-base-2.ts')).attention!() as AttentionKernel;
    // The fixture declines empty rows and low precision: only cases it runs.
    const f = await failsOn(
      cases,
      (c) => (c.case.precision !== 'float32' ? null : splitKvMerge(kernelForwardWithLse(k), TOL.float32)(c)),
      60,
    );
    // Wrong weights e^{lse_c - lse} move the merged out; the merged lse moves too unless one part holds every key.
    expect(f.message).toMatch(/^parts \[[\d,]+\] merged in order \[[\d,]+\](?: \+ sink)?, float32: (out|lse): /);
  });
});
