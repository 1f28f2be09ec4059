/**
 * Every built-in kernel matches the float64 reference on every score option it declares (softcap,
 * ALiBi, bias with dbias, sinks with dsinks; lse where it returns one), in float32 and in the
 * emulated low precisions, and declines the options it does not declare.
 */
import { describe, expect, it } from 'vitest';
import {
  type AttentionKernel,
  defaultOptions,
  FLOAT32_REL_BOUND,
  KERNEL_FEATURES,
  UNIT_ROUNDOFF,
} from '../src/contract/index.js';
import { eagerKernel, flashKernel, flashKernelWith, runAttention, sdpaKernel } from '../src/runner/index.js';
import { makeInputs } from './support/kernelTesting.js';
import { measureScoreCase, SCORE_CASES, type ScoreTensor } from './support/scoreCases.js';

const KERNELS: AttentionKernel[] = [eagerKernel, sdpaKernel, flashKernel, flashKernelWith({ Br: 2, Bc: 3 })];

/**
 * Low-precision bound in units of u_p, as LOW_PRECISION_REL_BOUND (test/support/contractCases.ts); lse is float32
 * arithmetic in every precision.
 */
const LOW: Record<ScoreTensor, number> = { out: 4, dq: 16, dk: 16, dv: 16, lse: 0, dbias: 16, dsinks: 16 };

const supported = (k: AttentionKernel) => SCORE_CASES.filter((c) => c.needs.every((f) => k.features?.[f] === true));

describe('built-in kernels match the float64 reference on the score options they declare', () => {
  for (const kernel of KERNELS) {
    for (const c of supported(kernel)) {
      it(`${kernel.name}: ${c.name} (float32)`, () => {
        const { errors, leaked } = measureScoreCase(kernel, c);
        for (const [t, e] of Object.entries(errors)) expect(e, t).toBeLessThanOrEqual(FLOAT32_REL_BOUND);
        expect(leaked).toBe(0);
      });
      for (const p of ['bfloat16', 'float16'] as const) {
        it(`${kernel.name}: ${c.name} (${p})`, () => {
          const { errors } = measureScoreCase(kernel, c, p);
          for (const [t, e] of Object.entries(errors))
            expect(e, t).toBeLessThanOrEqual(Math.max(LOW[t as ScoreTensor] * UNIT_ROUNDOFF[p], FLOAT32_REL_BOUND));
        });
      }
    }
  }
});

describe('flash returns lse with its output', () => {
  it('in every case, base e, -inf for rows with no visible key', () => {
    for (const c of SCORE_CASES)
      expect(measureScoreCase(flashKernel, c).errors.lse, c.name).toBeLessThanOrEqual(FLOAT32_REL_BOUND);
  });
});

describe('a kernel is never run on a score option it does not declare', () => {
  it('the case is reported unsupported, naming the features', async () => {
    const shapes = { B: 1, Hq: 2, Hkv: 1, Sq: 2, Sk: 3, D: 2, Dv: 2 };
    const bare: AttentionKernel = {
      name: 'bare',
      forward: () => {
        throw new Error('must not run');
      },
    };
    const inputs = makeInputs(shapes, 'undeclared');
    const options = { ...defaultOptions(shapes), softcap: 2, sinks: { shape: [2], data: Float64Array.of(0, 1) } };
    const o = await runAttention(bare, { shapes, options, inputs });
    expect(o).toEqual({ status: 'unsupported', reason: 'bare does not declare features softcap, sinks' });
    expect(KERNEL_FEATURES).toEqual(['softcap', 'alibi', 'bias', 'sinks']);
  });
});
