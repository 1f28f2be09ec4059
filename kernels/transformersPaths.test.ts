/**
 * eager and sdpa, the two attention paths of transformers (eager_attention_forward and
 * sdpa_attention_forward), hold the same contract: the same tests, one table. Their native
 * interfaces differ and are tested beside each kernel (eager/eager.test.ts, sdpa/sdpa.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  ATTENTION_TENSORS,
  type AttentionKernel,
  defaultOptions,
  FLOAT32_REL_BOUND,
  roundArray,
  UNIT_ROUNDOFF,
} from '../src/contract/index.js';
import { runAttentionKernel } from '../src/execute/index.js';
import {
  FINITE_CONTRACT_CASES,
  LOW_PRECISION_REL_BOUND,
  makeInputs,
  measureAgainstReference,
  NAN_JUNK_CASES,
} from '../test/support/contractCases.js';
import { eagerKernel } from './eager/index.js';
import { sdpaKernel } from './sdpa/index.js';

const PATHS: ReadonlyArray<{ name: string; kernel: AttentionKernel; readsAllKeys: string }> = [
  { name: 'eager', kernel: eagerKernel, readsAllKeys: "as transformers' eager does" },
  { name: 'sdpa', kernel: sdpaKernel, readsAllKeys: "as PyTorch's math SDPA does" },
];

/** Low-precision emulation cases: precision, shapes, causal alignment, the inputs' seed. */
const EMULATION = [
  {
    precision: 'bfloat16',
    shapes: { B: 1, Hq: 2, Hkv: 1, Sq: 3, Sk: 4, D: 5, Dv: 3 },
    causal: 'bottom-right',
    seed: 'bf16',
  },
  {
    precision: 'float16',
    shapes: { B: 1, Hq: 3, Hkv: 1, Sq: 2, Sk: 5, D: 3, Dv: 4 },
    causal: 'top-left',
    seed: 'fp16',
  },
] as const;

describe.each(PATHS)('$name', ({ name, kernel, readsAllKeys }) => {
  describe(`${name} matches the float64 reference in float32`, () => {
    for (const c of FINITE_CONTRACT_CASES) {
      it(c.name, () => {
        const { errors, leaked } = measureAgainstReference(kernel, c);
        for (const t of ATTENTION_TENSORS) expect(errors[t], t).toBeLessThanOrEqual(FLOAT32_REL_BOUND);
        expect(leaked).toBe(0);
      });
    }
  });

  describe(`${name} reads keys no query may see, ${readsAllKeys} (P·V over all keys)`, () => {
    it(
      'so NaN junk there reaches the output as 0·NaN: it promises nothing about unseen keys, and attnfuzz ' +
        'writes only finite junk for it',
      () => {
        expect(kernel.guarantees?.unseenKeysUnread).not.toBe(true);
        for (const c of NAN_JUNK_CASES) expect(measureAgainstReference(kernel, c).errors.out, c.name).toBe(Infinity);
      },
    );
  });

  describe(`${name} matches the float64 reference in bfloat16 and float16`, () => {
    for (const precision of ['bfloat16', 'float16'] as const) {
      for (const c of FINITE_CONTRACT_CASES) {
        it(`${precision}: ${c.name}`, () => {
          const { errors, leaked } = measureAgainstReference(kernel, c, precision);
          for (const t of ATTENTION_TENSORS)
            expect(errors[t], t).toBeLessThanOrEqual(LOW_PRECISION_REL_BOUND[t] * UNIT_ROUNDOFF[precision]);
          expect(leaked).toBe(0);
        });
      }
    }
  });

  describe(`${name} emulates low precision`, () => {
    it.each(EMULATION)(
      'returns the output and every gradient as $precision values',
      ({ precision, shapes, causal, seed }) => {
        const opts = { ...defaultOptions(shapes), causal };
        const res = runAttentionKernel(kernel, makeInputs(shapes, seed), { ...opts, precision });
        for (const t of ATTENTION_TENSORS)
          expect(Array.from(res[t].data), t).toEqual(Array.from(roundArray(precision, res[t].data)));
        // Not vacuously: some float32 output is not a value of that precision.
        const f32 = runAttentionKernel(kernel, makeInputs(shapes, seed), opts);
        expect(Array.from(f32.out.data)).not.toEqual(Array.from(roundArray(precision, f32.out.data)));
      },
    );
  });
});
