/**
 * KV-cache decode (flash_attn_with_kvcache, contiguous and paged): the flash decode kernel equals
 * the float64 reference with NaN in every slot it must not read, a permutation of the physical pages
 * changes no bit, and a prefill plus one decode step per token equals one causal call. Float32,
 * within 16 u_32 of max(max|ref|, 1) (FlashAttention-2's float32 forward on the same keys).
 */
import { describe, expect, it } from 'vitest';
import { flashDecodeKernel } from '../src/runner/index.js';
import type { DecodeKernel } from '../src/contract/index.js';
import { decodeCases, decodeMatchesReference, pagesPermuted, prefillThenDecode } from './support/decode.js';
import { failsOn, holds } from './support/engine.js';
import readsPagePadding from '../test/fixtures/broken-kernels/decode-reads-page-padding.js';

const cases = decodeCases();
const TOL = { rel: 16 * 2 ** -24 };

describe('KV-cache decode', () => {
  it('flash decode matches the float64 reference, never reading past cacheSeqlens, padding lanes or unused pages (all NaN)', () => {
    holds(cases, decodeMatchesReference(flashDecodeKernel, TOL), 60);
  });

  it('permuting the physical pages (and the block table with them) changes no bit', () => {
    holds(cases, pagesPermuted(flashDecodeKernel), 40);
  });

  it('a prefill and one decode step per token equal one causal call', () => {
    holds(cases, prefillThenDecode(flashDecodeKernel, TOL), 25);
  });

  it('can fail: a paged decode whose softmax takes the padding lanes of the last page (flashinfer#3716)', () => {
    const f = failsOn(cases, decodeMatchesReference(readsPagePadding as DecodeKernel, TOL), 60);
    expect(f.message).toMatch(/^decode-reads-page-padding paged \(pageSize \d+\), lens \[[\d,]+\], Sq \d(, causal)?: out: non-finite NaN/);
    expect(f.counterexample.lens.some((len) => len % f.counterexample.pageSize! !== 0)).toBe(true);
  });
});
