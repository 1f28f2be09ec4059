/**
 * The golden files in the emulated low precisions: every attention file (v1, and v2 with the score
 * options) through every built-in attention kernel that declares its options, the inputs rounded
 * to bfloat16 / float16 by the kernel as for a case of that dtype. The file's float64 answer is for
 * the unrounded inputs, so the input rounding is part of the error measured. Bounds, norm-wise in
 * units of roundoff u_p, as test/score-options.test.ts: out 4, the gradients 16; lse 4 (float32
 * arithmetic, but on rounded inputs). Measured: out <= 2.01 u, dq <= 3.66 u, dk <= 2.78 u,
 * dv <= 2.59 u, dbias <= 1.98 u, dsinks <= 1.07 u, lse <= 0.85 u.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import lowprecHalvedDk from '../../fixtures/broken-kernels/lowprec-halved-dk.js';
import { useBackend } from '../backend/index.js';
import { type AttentionKernel, missingFeatures, type Precision, UNIT_ROUNDOFF } from '../contract/index.js';
import { BUILTIN_KERNELS, BUILTINS } from '../runner/index.js';
import { attentionRunner, checkGolden, type Golden, loadGoldens } from './index.js';

const CORPUS = fileURLToPath(new URL('../../corpus/golden', import.meta.url));
const attention = loadGoldens([CORPUS]).goldens.filter(
  (g): g is Extract<Golden, { kind: 'attention' }> => g.kind === 'attention',
);
const UNITS: Readonly<Record<string, number>> = { out: 4, lse: 4, dq: 16, dk: 16, dv: 16, dbias: 16, dsinks: 16 };

beforeAll(() => useBackend('cpu'));

/**
 * Every file the kernel declares the options of, in `precision`: the problems, and the largest error per tensor in
 * units of u.
 */
async function lowPrecision(
  kernel: AttentionKernel,
  precision: Precision,
): Promise<{ problems: string[]; checked: number; worst: Map<string, number> }> {
  const u = UNIT_ROUNDOFF[precision];
  const runner = attentionRunner(`${kernel.name} ${precision}`, kernel);
  const problems: string[] = [];
  const worst = new Map<string, number>();
  let checked = 0;
  for (const g of attention) {
    if (missingFeatures(g.options, kernel.features).length > 0) continue;
    const o = await checkGolden({ ...g, options: { ...g.options, precision } }, runner);
    if (o.state !== 'checked') {
      problems.push(`${g.file}: ${o.state === 'errored' ? `threw ${o.error}` : `skipped: ${o.reason}`}`);
      continue;
    }
    checked++;
    for (const r of o.rows) {
      worst.set(r.tensor, Math.max(worst.get(r.tensor) ?? 0, r.maxRel / u));
      if (!(r.maxRel <= UNITS[r.tensor]! * u))
        problems.push(`${g.file} ${r.tensor}: ${(r.maxRel / u).toFixed(2)} u > ${UNITS[r.tensor]} u`);
    }
  }
  return { problems, checked, worst };
}

describe.each(['bfloat16', 'float16'] as const)('every attention golden file in emulated %s', (precision) => {
  it.each(BUILTIN_KERNELS.filter((n) => BUILTINS[n].attention))(
    '%s matches within 4 u (out, lse) and 16 u (gradients)',
    async (name) => {
      const kernel = BUILTINS[name].attention!();
      const r = await lowPrecision(kernel, precision);
      expect(r.problems).toEqual([]);
      expect(r.checked).toBe(attention.filter((g) => missingFeatures(g.options, kernel.features).length === 0).length);
      // The precision reaches the kernel: float32 would be far below a unit of u_p.
      expect(r.worst.get('out')!).toBeGreaterThan(0.25);
    },
  );
});

describe('the low-precision golden files, on a broken kernel', () => {
  it(
    'can fail: a kernel whose dk is halved only in bfloat16/float16 fails the files on dk, ' + 'and only on dk',
    async () => {
      const r = await lowPrecision(lowprecHalvedDk, 'bfloat16');
      expect(r.problems.length).toBeGreaterThan(0);
      expect(r.problems.every((p) => / dk: /.test(p))).toBe(true);
    },
  );
});
