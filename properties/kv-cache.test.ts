/**
 * KV-cache decode (flash_attn_with_kvcache, contiguous and paged): the flash decode kernel passes
 * the oracle (the float64 reference, out judged as attention's out) in every precision with NaN in
 * every slot it must not read; a permutation of the physical pages changes no bit; a prefill plus
 * one decode step per token equals one causal call (float32, within 16 u_32 of max(max|ref|, 1):
 * FlashAttention-2's float32 forward on the same keys).
 */
import { describe, expect, it } from 'vitest';
import readsPagePadding from '../fixtures/broken-kernels/decode-reads-page-padding.js';
import { type DecodeCase, decodeCase } from '../src/case/index.js';
import { builtinKernel, fixedKernel } from '../src/runner/index.js';
import { pagesPermuted, prefillThenDecode } from './support/decode.js';
import { matchesReference } from './support/differential.js';
import { failsOn, holds } from './support/engine.js';

const cases = decodeCase();
const float32 = decodeCase({ precisions: ['float32'] });
const flash = builtinKernel('flash');
const TOL = { rel: 16 * 2 ** -24 };

describe('KV-cache decode', () => {
  it(
    'flash decode matches the float64 reference, never reading past cacheSeqlens, padding lanes or unused ' +
      'pages (all NaN)',
    async () => {
      await holds(cases, matchesReference<DecodeCase>(flash), 60);
    },
  );

  it('permuting the physical pages (and the block table with them) changes no bit', async () => {
    await holds(float32, pagesPermuted(flash), 40);
  });

  it('a prefill and one decode step per token equal one causal call', async () => {
    await holds(float32, prefillThenDecode(flash, TOL), 25);
  });

  it('can fail: a paged decode whose softmax takes the padding lanes of the last page (flashinfer#3716)', async () => {
    const f = await failsOn(cases, matchesReference<DecodeCase>(fixedKernel(readsPagePadding, 'decode')), 60);
    expect(f.check!.verdict).toMatchObject({
      status: 'nonfinite',
      failing: { tensor: 'out' },
      cause: expect.stringMatching(/^reads cache slots no query may read/),
    });
    const c = f.counterexample;
    expect(c.cache.kind).toBe('paged');
    if (c.cache.kind === 'paged')
      expect(c.cacheSeqlens.some((len) => len % (c.cache as { pageSize: number }).pageSize !== 0)).toBe(true);
  });
});
