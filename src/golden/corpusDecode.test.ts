/**
 * The KV-cache decode goldens (corpus/golden/decode-*.json, scripts/make_goldens.py) against the
 * float64 reference and flash's decode entry point (flashDecodeKernel), on the cpu backend: what
 * they cover, float32 and the emulated low precisions, and a paged decode that reads page padding
 * failing them.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import readsPagePadding from '../../fixtures/broken-kernels/decode-reads-page-padding.js';
import { useBackend } from '../backend/index.js';
import { cacheSlot, type DecodeKernel, decodeShapes, FLOAT32_REL_BOUND, UNIT_ROUNDOFF } from '../contract/index.js';
import { flashDecodeKernel } from '../runner/index.js';
import {
  checkGolden,
  checkGoldens,
  decodeRunner,
  type Golden,
  type GoldenOutcome,
  goldenRunners,
  goldenText,
  loadGoldens,
  REFERENCE_REL_BOUND,
} from './index.js';

type DecodeGolden = Extract<Golden, { kind: 'decode' }>;
const CORPUS = fileURLToPath(new URL('../../corpus/golden', import.meta.url));
const { goldens, errors } = loadGoldens([CORPUS]);
const decode = goldens.filter((g): g is DecodeGolden => g.kind === 'decode');

beforeAll(() => useBackend('cpu'));

/** Every tensor that failed and every run that threw or was skipped, one line each. */
function problems(outcomes: readonly GoldenOutcome[]): string[] {
  return outcomes.flatMap((o) =>
    o.state === 'checked'
      ? o.rows.filter((r) => !r.pass).map((r) => `${r.file} ${r.kernel} ${r.tensor}: maxRel ${r.maxRel} > ${r.bound}`)
      : [`${o.file} ${o.kernel}: ${o.state === 'errored' ? `threw ${o.error}` : `skipped: ${o.reason}`}`],
  );
}

/** Slots (cache elements per head and feature row) the contract reads, as a set of `page/lane`. */
function readSlots(g: DecodeGolden): Set<string> {
  const read = new Set<string>();
  g.inputs.cacheSeqlens.forEach((len, b) => {
    for (let j = 0; j < len; j++) {
      const { page, lane } = cacheSlot(g.inputs.cache, b, j);
      read.add(`${page}/${lane}`);
    }
  });
  return read;
}

/** Whether every value of an unread slot is NaN and every read one finite. */
function nanExactlyWhereUnread(g: DecodeGolden): boolean {
  const c = g.inputs.cache;
  const t = c.kind === 'contiguous' ? c.k : c.kPages;
  const [n0, n1, n2, F] = t.shape as [number, number, number, number];
  const read = readSlots(g);
  for (let a = 0; a < n0; a++)
    for (let m = 0; m < n1; m++)
      for (let s = 0; s < n2; s++) {
        // contiguous [B, Hkv, Smax, D]: slot (b, s); paged [numPages, pageSize, Hkv, D]: slot (page, lane)
        const slot = c.kind === 'contiguous' ? `${a}/${s}` : `${a}/${m}`;
        const at = ((a * n1 + m) * n2 + s) * F;
        const row = Array.from(t.data.subarray(at, at + F));
        if (read.has(slot) ? !row.every(Number.isFinite) : !row.every(Number.isNaN)) return false;
      }
  return true;
}

const isPaged = (g: DecodeGolden) => g.inputs.cache.kind === 'paged';
const pageSize = (g: DecodeGolden) => (g.inputs.cache.kind === 'paged' ? g.inputs.cache.kPages.shape[1]! : 0);
const sizes = (g: DecodeGolden) => decodeShapes(g.inputs.q.shape, g.inputs.cache, g.inputs.cacheSeqlens);

describe('the KV-cache decode goldens', () => {
  it(
    'load, and cover a contiguous cache longer than its rows, pages that do not divide a length (shuffled, ' +
      'one unused), causal Sq > 1 with GQA, a row with no key; NaN in exactly the slots the contract does not read',
    async () => {
      expect(errors.map((e) => e.message)).toEqual([]);
      expect(decode.length).toBeGreaterThanOrEqual(4);
      for (const g of decode) expect(nanExactlyWhereUnread(g), g.file).toBe(true);
      const has = (what: string, pred: (g: DecodeGolden) => boolean) => expect(decode.some(pred), what).toBe(true);
      has(
        'contiguous, Smax > every length',
        (g) => !isPaged(g) && g.inputs.cacheSeqlens.every((n) => n < sizes(g).capacity),
      );
      has(
        'paged, a length the page size does not divide',
        (g) => isPaged(g) && g.inputs.cacheSeqlens.some((n) => n % pageSize(g) !== 0),
      );
      has('paged, physical pages out of order, one unused', (g) => {
        if (g.inputs.cache.kind !== 'paged') return false;
        const used = g.inputs.cache.blockTable.flatMap((row, b) =>
          row.slice(0, Math.ceil(g.inputs.cacheSeqlens[b]! / pageSize(g))),
        );
        return used.some((p, n) => n > 0 && p < used[n - 1]!) && used.length < g.inputs.cache.kPages.shape[0]!;
      });
      has('causal with Sq > 1 and GQA', (g) => g.options.causal && sizes(g).Sq > 1 && sizes(g).Hq > sizes(g).Hkv);
      has('a row with cacheSeqlens 0, whose out is 0', (g) => {
        const b = g.inputs.cacheSeqlens.indexOf(0);
        const size = g.expected.out.data.length / sizes(g).B;
        return b >= 0 && g.expected.out.data.subarray(b * size, (b + 1) * size).every((x) => x === 0);
      });
    },
  );

  it(
    `the float64 reference and flash decode (float32) match every file within ${REFERENCE_REL_BOUND} and ` +
      `${FLOAT32_REL_BOUND}`,
    async () => {
      const runners = goldenRunners().filter((r) => r.kind === 'decode');
      expect(runners.map((r) => [r.name, r.bound])).toEqual([
        ['reference', REFERENCE_REL_BOUND],
        ['flash', FLOAT32_REL_BOUND],
      ]);
      const outcomes = await checkGoldens(decode, runners);
      expect(problems(outcomes)).toEqual([]);
      expect(outcomes.filter((o) => o.state === 'checked')).toHaveLength(2 * decode.length);
    },
  );

  // No golden test has a low-precision path, so no oracle allowance to reuse: docs/golden.md's bound
  // for out in bfloat16 / float16, norm-wise like FLOAT32_REL_BOUND: 4 units of roundoff u_p.
  // Measured: at most 1.26 u (bfloat16) and 1.40 u (float16).
  it.each(['bfloat16', 'float16'] as const)(
    'flash decode in emulated %s matches every file within 4 u',
    async (precision) => {
      const runner = decodeRunner(`flash ${precision}`, flashDecodeKernel, 4 * UNIT_ROUNDOFF[precision]);
      const outcomes = await Promise.all(
        decode.map((g) => checkGolden({ ...g, options: { ...g.options, precision } }, runner)),
      );
      expect(problems(outcomes)).toEqual([]);
      // The precision reaches the kernel: float32's error is far below bfloat16's unit roundoff.
      const worst = Math.max(...outcomes.flatMap((o) => (o.state === 'checked' ? o.rows.map((r) => r.maxRel) : [])));
      expect(worst).toBeGreaterThan(UNIT_ROUNDOFF[precision] / 8);
    },
  );

  it(
    'can fail: a paged decode whose softmax takes the padding lanes of the last page (flashinfer#3716) fails ' +
      'every paged file, naming file and tensor; the contiguous files pass',
    async () => {
      const runner = decodeRunner('decode-reads-page-padding', readsPagePadding as DecodeKernel);
      const outcomes = await Promise.all(decode.map((g) => checkGolden(g, runner)));
      const failed = decode.filter((_, n) => problems([outcomes[n]!]).length > 0);
      // Every paged file has a row whose length its page size does not divide: NaN from the padding.
      expect(failed.map((g) => g.file)).toEqual(decode.filter(isPaged).map((g) => g.file));
      const paged = decode.find((g) => g.file.endsWith('decode-paged-shuffled.json'))!;
      const text = goldenText([paged], [await checkGolden(paged, runner)]);
      expect(text).toMatch(
        /decode-paged-shuffled\.json\s+decode-reads-page-padding\s+out\s+inf\s+inf\s+1\.00e-5\s+FAIL/,
      );
      expect(text).toContain(`FAIL ${paged.file} decode-reads-page-padding: out (${paged.hint})`);
    },
  );
});
