/**
 * ort:attention, ort:mha and ort:gqa (onnxruntime-node 1.30, CPU, no mocks) match the float64
 * reference on random attention cases drawn for them (their features: softcap, ALiBi, bias, sinks),
 * every form their tables list is drawn across the cases, and what they decline is declined with
 * the op's reason. The known upstream issues are avoided (test/ort-findings.test.ts reproduces them).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED } from '../fixtures/profile.js';
import { type AttentionCase, attentionCase } from '../src/case/index.js';
import type { HostTensor, Precision } from '../src/contract/index.js';
import { materialiseAttention } from '../src/data/index.js';
import { worstDiff } from '../src/oracle/index.js';
import { type OrtKernel, type OrtOp, ortKernel } from '../targets/ort/index.js';
import { outWithHalfLogits } from './support/halfLogits.js';
import { attentionCall, sampleHost } from './support/hostCheckForward.js';

const kernels = new Map<OrtOp | 'attention@23', OrtKernel>();
const kernel = (op: OrtOp | 'attention@23'): OrtKernel => kernels.get(op)!;
beforeAll(async () => {
  for (const op of ['attention', 'mha', 'gqa'] as const) kernels.set(op, await ortKernel(op));
  kernels.set('attention@23', await ortKernel('attention', { opset: 23 }));
});
afterAll(async () => {
  for (const k of kernels.values()) await k.close?.();
});

const casesFor = (k: OrtKernel, precision: Precision, n: number, seed = SEED): AttentionCase[] =>
  fc.sample(
    attentionCase({
      precisions: [precision],
      allowDropout: false,
      allowSoftcap: k.features?.softcap === true,
      allowAlibi: k.features?.alibi === true && precision === 'float32',
      allowBias: k.features?.bias === true,
      allowSinks: k.features?.sinks === true,
    }),
    { numRuns: n, seed },
  );

/**
 * float16 ort:attention rounds its logits to float16 (the documented difference): explained when that emulation fits,
 * S itself kept in float16 where the call's forms make the op store it (softcap, qk_matmul_output mode 0 or 1).
 */
const halfLogits = (c: AttentionCase, out: HostTensor) => {
  const forms = kernel('attention').ortPlan(attentionCall(c).call).forms.chosen;
  const storesS =
    forms.qk_matmul_output === 'yes' && ['omitted', '0', '1'].includes(forms.qk_matmul_output_mode ?? 'omitted');
  const e = outWithHalfLogits(materialiseAttention(c), storesS);
  const scale = e.data.reduce((m, x) => (Number.isFinite(x) ? Math.max(m, Math.abs(x)) : m), 1);
  return worstDiff(out, e).error <= 2 ** -10 * scale;
};

describe('the ort targets on the attention suite (onnxruntime-node CPU)', () => {
  it.each([
    ['attention', 'float32'],
    ['attention@23', 'float32'],
    ['mha', 'float32'],
    ['gqa', 'float32'],
    ['mha', 'float16'],
    ['gqa', 'float16'],
  ] as const)('ort:%s matches the float64 reference on random %s cases', async (op, precision) => {
    const k = kernel(op);
    const s = await sampleHost(k, casesFor(k, precision, 150));
    expect(s.failures).toEqual([]);
    expect(s.counts.pass ?? 0).toBeGreaterThan(25);
  });

  it(
    'ort:attention in float16 passes, or differs only by rounding its logits to float16 ' +
      '(the op computes Q·Kᵀ in T1)',
    async () => {
      const k = kernel('attention');
      const s = await sampleHost(k, casesFor(k, 'float16', 150), (c, out) => halfLogits(c as AttentionCase, out));
      expect(s.failures).toEqual([]);
      expect(s.counts.pass ?? 0).toBeGreaterThan(25);
    },
  );

  it(
    'every form of ort:attention is drawn across cases: mask kinds and ranks, past, is_causal, nonpad, ' +
      '3-D, optional outputs',
    async () => {
      const k = kernel('attention');
      const s = await sampleHost(k, casesFor(k, 'float32', 400, 1));
      for (const form of [
        'causal=is_causal',
        'causal=mask',
        'past=split',
        'keyLengths=nonpad_kv_seqlen',
        'mask=bool',
        'mask=float',
        'mask rank=2',
        'mask rank=3',
        'rank=3D',
        'qk_matmul_output=yes',
        'qk_matmul_output_mode=3',
        'present_key/value=yes',
        'scale given=no',
      ])
        expect(s.forms, form).toContain(form);
    },
  );

  it('every form of ort:mha and ort:gqa is drawn across cases', async () => {
    const mha = await sampleHost(kernel('mha'), casesFor(kernel('mha'), 'float32', 400, 2));
    for (const form of ['mask=1D', 'mask=2D', 'mask=3D', 'mask=attention_bias', 'causal=unidirectional', 'past=yes'])
      expect(mha.forms, form).toContain(form);
    for (const form of ['key/value rank=4D', 'projection bias (zeros)=yes', 'mask_filter_value=lowest'])
      expect(mha.forms, form).toContain(form);
    const gqa = await sampleHost(kernel('gqa'), casesFor(kernel('gqa'), 'float32', 400, 3));
    for (const form of [
      'window=local_window_size',
      'packed QKV=yes',
      'past buffer longer than the past=yes',
      'empty past omitted=yes',
    ])
      expect(gqa.forms, form).toContain(form);
  });

  it('declines what each op cannot express, with the reason', async () => {
    const [a, m, g] = [kernel('attention'), kernel('mha'), kernel('gqa')];
    const q = { ...casesFor(a, 'float32', 1)[0]! };
    const opts = {
      scale: 1,
      causal: 'none',
      window: null,
      keyLengths: null,
      paddingSide: 'right',
      mask: null,
      precision: 'float32',
    } as const;
    const sq = { ...opts, emptyRows: false, dropout: null };
    const shapes = { B: 2, Hq: 4, Hkv: 2, Sq: 3, Sk: 5, D: 8, Dv: 8 };
    expect(q.kind).toBe('attention');
    expect(a.supports!({ ...sq, dropout: { p: 0.1, seed: 1 } }, shapes)).toMatch(/no dropout/);
    expect(a.supports!({ ...sq, sinks: { shape: [4] } }, shapes)).toMatch(/no sinks input/);
    expect(m.supports!(sq, shapes)).toMatch(/Hq = Hkv only/);
    expect(m.supports!({ ...sq, softcap: 5 }, { ...shapes, Hkv: 4 })).toMatch(/no softcap/);
    expect(m.supports!({ ...sq, emptyRows: true }, { ...shapes, Hkv: 4 })).toMatch(/no visible key/);
    expect(g.supports!(sq, { ...shapes, B: 1 })).toMatch(/always causal/);
    expect(g.supports!({ ...sq, causal: 'bottom-right' }, { ...shapes, Sq: 6 })).toMatch(/Sk >= Sq/);
    expect(g.supports!({ ...sq, causal: 'bottom-right' }, shapes)).toMatch(/batch_size 1/);
    expect(g.supports!({ ...sq, causal: 'bottom-right' }, { ...shapes, B: 1 })).toBe(true);
    expect(a.precisions).toEqual(['float32', 'float16']);
    expect(a.backward).toBe(false);
  });
});
