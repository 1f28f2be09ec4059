/**
 * LoRA linear layers (unmerged and merged, kernels/lora.ts) against their own algebra and the
 * float64 reference. Measured over 300 cases each (N <= 4, features <= 6, r <= 4):
 *   vs the float64 reference: judged by the core's oracle (src/oracle/lora.ts, the error model of
 *     src/oracle/tolerance.ts; the kernels round h and y to the case's precision);
 *   merged vs unmerged in float32 (2000 cases): y, dx within 1.8e-7 of their terms' scale
 *     (|x|·(|W0| + s|B||A|): y cancels), dA, dB within 3.0e-6 of max|t|; allowed 1e-5;
 *   in bfloat16 / float16 the merged form rounds its stored weight (PEFT's merge_and_unload):
 *     allowed 8u of the precision of the terms' scale;
 *   scaling: within 4e-7 of s · x·Aᵀ·Bᵀ; doubling alpha is bit-exact.
 */
import { describe, expect, it } from 'vitest';
import {
  adapterForgotten,
  detachedA,
  detachedB,
  mergedWrongSign,
  swappedScaling,
} from '../fixtures/broken-kernels/metamorphic/lora.js';
import { loraCase } from '../src/case/index.js';
import { fixedKernel, loraMerged, loraUnmerged } from '../src/runner/index.js';
import { ulps } from './support/compare.js';
import { matchesReference } from './support/differential.js';
import { failsOn, holds } from './support/engine.js';
import {
  adapterChangesOutput,
  exactScaling,
  initIsBase,
  loraCases,
  mergedEqualsUnmerged,
  SMALL_LORA,
} from './support/metamorphic-lora.js';

const KERNELS = [
  ['lora', loraUnmerged],
  ['lora-merged', loraMerged],
] as const;
/** merged vs unmerged: 1e-5 in float32 (as measured above), 8 roundings of the terms in bf16/fp16. */
const MERGED = { ...ulps(8), float32: { rel: 1e-5 } };
const atInit = loraCases(true);
const adapted = loraCases(false);

describe('LoRA', () => {
  it.each(KERNELS)(
    '%s: with B = 0 the adapted layer equals the base exactly, dA = 0 and dB != 0',
    async (_, kernel) => {
      await holds(atInit, initIsBase(kernel), 20);
    },
  );

  it(
    'merged equals unmerged, tightly in float32 and within 8u of the terms in bfloat16 or float16 (the ' +
      'merged weight is stored rounded)',
    async () => {
      await holds(adapted, (c) => mergedEqualsUnmerged(loraUnmerged, loraMerged, MERGED)(c), 30);
    },
  );

  it.each(KERNELS)(
    '%s: scaling is exactly alpha/r (alpha/sqrt(r) with rsLoRA): doubling alpha doubles the contribution bit for bit',
    async (_, kernel) => {
      await holds(adapted, exactScaling(kernel), 20);
    },
  );

  it.each(KERNELS)('%s: a non-zero adapter changes the output by its float64 contribution', async (_, kernel) => {
    await holds(adapted, adapterChangesOutput(kernel), 20);
  });

  it('lora: y, dx, dA, dB match the float64 reference, with adapter dropout', async () => {
    await holds(loraCase(SMALL_LORA), matchesReference('lora'), 30);
  });

  it('lora-merged: y, dx, dA, dB match the float64 reference', async () => {
    await holds(loraCases('any'), matchesReference('lora-merged'), 30);
  });

  describe('each relation fails on the kernel broken the way it targets', () => {
    it('can fail: B = 0 relation: a kernel whose B gets no gradient', async () => {
      expect((await failsOn(atInit, initIsBase(detachedB), 20)).message).toMatch(
        /^lora-detached-B B=0: dB is all zero: the adapter never trains$/,
      );
    });

    it('can fail: merged = unmerged: a merge with the wrong sign', async () => {
      const f = await failsOn(adapted, (c) => mergedEqualsUnmerged(loraUnmerged, mergedWrongSign, MERGED)(c), 30);
      expect(f.message).toMatch(/^lora-merged-wrong-sign vs lora (y|dx|dA|dB), (float32|bfloat16|float16): /m);
    });

    it('can fail: scaling: alpha/r and alpha/sqrt(r) swapped (the same at r = 1)', async () => {
      const f = await failsOn(adapted, exactScaling(swappedScaling), 20);
      expect(f.message).toMatch(
        /^lora-swapped-scaling r=\d+ alpha=\S+( rsLoRA)?: y vs alpha\/(sqrt\()?r\)? · x·Aᵀ·Bᵀ: /,
      );
      expect(f.counterexample.rank).toBeGreaterThan(1);
    });

    it('can fail: non-zero adapter: a kernel that never adds the adapter', async () => {
      expect((await failsOn(adapted, adapterChangesOutput(adapterForgotten), 20)).message).toMatch(
        /^lora-adapter-forgotten: y equals x·W0ᵀ: the adapter changes nothing$/,
      );
    });

    it('can fail: gradients: a kernel that detaches A fails the oracle on dA, and only there', async () => {
      const f = await failsOn(adapted, matchesReference(fixedKernel(detachedA, 'lora')), 20);
      expect(f.check!.verdict).toMatchObject({ status: 'mismatch', failing: { tensor: 'dA', pass: 'backward' } });
      const v = f.check!.verdict;
      if (v.status === 'mismatch')
        expect(v.tensors.filter((t) => t.status !== 'pass').map((t) => t.tensor)).toEqual(['dA']);
    });
  });
});
