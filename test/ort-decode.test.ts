/**
 * KV-cache decode through ort:attention (ONNX Attention: nonpad_kv_seqlen, or past_key/value with a
 * mask) and ort:gqa (GroupQueryAttention: per-row past, seqlens_k) on onnxruntime-node 1.30, no mocks:
 * random contiguous-cache decode cases match the float64 reference; GQA decodes caches of 1 to 1024
 * keys a row, rows of different lengths, GQA ratios 1 to 8, in float32 and float16, with either past
 * buffer; a paged cache is declined with the reason.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED } from '../fixtures/profile.js';
import { CASE_VERSION, type DecodeCase, decodeCase } from '../src/case/index.js';
import type { HostTensor, Precision } from '../src/contract/index.js';
import { materialiseDecode } from '../src/data/index.js';
import { formatVerdict, worstDiff } from '../src/oracle/index.js';
import { type OrtKernel, ortKernel } from '../targets/ort/index.js';
import { decodeOutWithHalfLogits } from './support/halfLogits.js';
import { checkHostDecode, sampleHost } from './support/hostCheckForward.js';

let attention: OrtKernel;
let gqa: OrtKernel;
beforeAll(async () => {
  attention = await ortKernel('attention');
  gqa = await ortKernel('gqa');
});
afterAll(async () => {
  await attention.close?.();
  await gqa.close?.();
});

const cases = (precision: Precision, n: number, maxSeqlen = 40): DecodeCase[] =>
  fc.sample(decodeCase({ precisions: [precision], caches: ['contiguous'], maxHeads: 8, maxHeadDim: 16, maxSeqlen }), {
    numRuns: n,
    seed: SEED,
  });

/** float16 ort:attention rounds S + mask to float16 (the documented difference; test/support/halfLogits.ts). */
const halfLogits = (c: DecodeCase, out: HostTensor) => {
  const e = decodeOutWithHalfLogits(materialiseDecode(c));
  const scale = e.data.reduce((m, x) => (Number.isFinite(x) ? Math.max(m, Math.abs(x)) : m), 1);
  return worstDiff(out, e).error <= 2 ** -10 * scale;
};

describe('decode through the ort targets (onnxruntime-node CPU)', () => {
  it.each([
    ['attention', 'float32'],
    ['gqa', 'float32'],
    ['gqa', 'float16'],
  ] as const)('ort:%s decodes random contiguous caches as the float64 reference (%s)', async (op, precision) => {
    const s = await sampleHost(op === 'gqa' ? gqa : attention, cases(precision, 150));
    expect(s.failures).toEqual([]);
    expect(s.counts.pass ?? 0).toBeGreaterThan(30);
  });

  it('ort:attention decodes in float16 as the reference, or as the op with float16 logits', async () => {
    const s = await sampleHost(attention, cases('float16', 150), (c, out) => halfLogits(c as DecodeCase, out));
    expect(s.failures).toEqual([]);
    expect(s.counts.pass ?? 0).toBeGreaterThan(30);
  });

  it('ort:attention reaches both of its cache forms, ort:gqa both of its past buffers', async () => {
    const a = await sampleHost(attention, cases('float32', 120));
    for (const f of [
      'cache=nonpad_kv_seqlen',
      'cache=past',
      'slots=Smax',
      'slots=longest row',
      'mask=bool',
      'mask=float',
    ])
      expect(a.forms, f).toContain(f);
    const g = await sampleHost(gqa, cases('float32', 120));
    for (const f of ['past buffer=longest past', 'past buffer=cache (Smax)', 'packed QKV=yes'])
      expect(g.forms, f).toContain(f);
  });

  it.each([
    [1, 'float32'],
    [2, 'float32'],
    [4, 'float16'],
    [8, 'float32'],
    [8, 'float16'],
  ] as const)(
    'ort:gqa decodes rows of 1, 517 and 1024 keys at GQA ratio %i (%s), either past buffer',
    async (ratio, precision) => {
      const c: DecodeCase = {
        version: CASE_VERSION,
        kind: 'decode',
        shapes: { B: 3, Hq: 8, Hkv: 8 / ratio, Sq: 1, D: 64, Dv: 64 },
        cacheSeqlens: [1, 517, 1024],
        cache: { kind: 'contiguous', extraSlots: 3 },
        causal: true,
        scale: null,
        precision,
        seed: SEED >>> 0,
      };
      for (const buffer of ['longest past', 'cache (Smax)']) {
        const k = await ortKernel('gqa', { forms: { pins: { 'past buffer': buffer } } });
        const r = await checkHostDecode(k, c);
        await k.close?.();
        expect(r.status).toBe('judged');
        if (r.status === 'judged') expect(r.verdict.status, formatVerdict(r.verdict).join('\n')).toBe('pass');
      }
    },
  );

  it('declines what each op cannot express in decode, with the reason', async () => {
    const paged = cases('float32', 200).find((c) => c.cache.kind === 'contiguous')!;
    const asPaged: DecodeCase = { ...paged, cache: { kind: 'paged', pageSize: 4, unusedPages: 0, permutation: 1 } };
    expect(await checkHostDecode(attention, asPaged)).toMatchObject({
      status: 'unsupported',
      reason: /contiguous cache/,
    });
    expect(await checkHostDecode(gqa, asPaged)).toMatchObject({ status: 'unsupported', reason: /contiguous cache/ });
    const short: DecodeCase = {
      ...paged,
      shapes: { ...paged.shapes, Sq: 3 },
      cacheSeqlens: paged.cacheSeqlens.map(() => 2),
    };
    expect(await checkHostDecode(gqa, short)).toMatchObject({ status: 'unsupported', reason: /at least Sq keys/ });
  });
});
