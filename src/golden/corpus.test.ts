/**
 * Every golden file in corpus/golden against the float64 reference and every tfjs kernel the
 * registry exports, on the cpu backend; and the corpus itself covers every option of the contract.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../backend/index.js';
import { missingFeatures } from '../contract/index.js';
import { BUILTIN_KERNELS, BUILTINS } from '../runner/index.js';
import { checkGoldens, type Golden, goldenRunners, loadGoldens } from './index.js';

const CORPUS = fileURLToPath(new URL('../../corpus/golden', import.meta.url));
const { goldens, errors } = loadGoldens([CORPUS]);
const attention = goldens.filter((g): g is Extract<Golden, { kind: 'attention' }> => g.kind === 'attention');
const lora = goldens.filter((g): g is Extract<Golden, { kind: 'lora-linear' }> => g.kind === 'lora-linear');

beforeAll(() => useBackend('cpu'));

describe('every golden file matches every implementation', () => {
  const runners = goldenRunners();
  it(
    `reference and registry kernels (${[...new Set(runners.map((r) => r.name))].join(', ')}) within ` + `their bounds`,
    async () => {
      const outcomes = await checkGoldens(goldens, runners);
      const problems: string[] = [];
      for (const o of outcomes) {
        if (o.state === 'errored') problems.push(`${o.file} ${o.kernel}: threw ${o.error}`);
        if (o.state === 'checked') {
          for (const r of o.rows)
            if (!r.pass)
              problems.push(`${r.file} ${r.kernel} ${r.tensor}: maxRel ${r.maxRel} > ${r.bound} (maxAbs ${r.maxAbs})`);
        }
      }
      expect(errors.map((e) => e.message)).toEqual([]);
      expect(problems).toEqual([]);
      // Every implementation checked every file of its kind it declares the options of: a silent
      // skip (a renamed kernel, a `supports` that declines) would make this test vacuous.
      const attentionKernels = ['reference', ...BUILTIN_KERNELS.filter((n) => BUILTINS[n].attention)];
      const loraKernels = ['reference', ...BUILTIN_KERNELS.filter((n) => BUILTINS[n].lora)];
      const runs = (k: string, g: Golden) =>
        g.kind !== 'attention' ||
        k === 'reference' ||
        missingFeatures(g.options, BUILTINS[k as keyof typeof BUILTINS].attention!().features).length === 0;
      for (const [kernels, files] of [
        [attentionKernels, attention],
        [loraKernels, lora],
      ] as const) {
        for (const k of kernels) {
          const mine = (files as readonly Golden[]).filter((g) => runs(k, g));
          const checked = outcomes.filter(
            (o) => o.kernel === k && o.state === 'checked' && mine.some((g) => g.file === o.file),
          );
          expect(checked.length, `${k} checked ${checked.length} of ${mine.length} files`).toBe(mine.length);
        }
      }
      // The score options reach the kernels that declare them: flash and eager all four, sdpa ALiBi and bias.
      for (const k of ['eager', 'flash'])
        expect(outcomes.filter((o) => o.kernel === k && o.state === 'skipped')).toEqual([]);
      // dbias, dsinks (every kernel) and lse (the reference, flash) are checked where the files have them.
      const rows = outcomes.flatMap((o) => (o.state === 'checked' ? o.rows : []));
      for (const [k, t] of [
        ['reference', 'lse'],
        ['flash', 'lse'],
        ['eager', 'dbias'],
        ['sdpa', 'dbias'],
        ['flash', 'dsinks'],
        ['eager', 'dsinks'],
      ]) {
        expect(
          rows.some((r) => r.kernel === k && r.tensor === t),
          `${k} ${t}`,
        ).toBe(true);
      }
    },
  );
});

describe('the golden corpus covers every option', () => {
  const dims = (g: (typeof attention)[number]) => {
    const [B, Hq, Sq, D] = g.inputs.q.shape as number[];
    const [, Hkv, Sk, Dv] = g.inputs.v.shape as number[];
    return { B: B!, Hq: Hq!, Sq: Sq!, D: D!, Hkv: Hkv!, Sk: Sk!, Dv: Dv! };
  };
  const has = (what: string, pred: (g: (typeof attention)[number]) => boolean) =>
    expect(attention.some(pred), what).toBe(true);

  it('shapes: Sq != Sk both ways, Sq = 1, Dv != D, D = 1, odd D, GQA ratios 1..4', async () => {
    expect(goldens.length).toBeGreaterThanOrEqual(24);
    has('Sq < Sk', (g) => dims(g).Sq < dims(g).Sk);
    has('Sq > Sk', (g) => dims(g).Sq > dims(g).Sk);
    has('Sq = 1', (g) => dims(g).Sq === 1);
    has('Dv != D', (g) => dims(g).Dv !== dims(g).D);
    has('D = 1', (g) => dims(g).D === 1);
    has('odd D > 1', (g) => dims(g).D % 2 === 1 && dims(g).D > 1);
    for (const ratio of [1, 2, 3, 4]) has(`GQA ratio ${ratio}`, (g) => dims(g).Hq / dims(g).Hkv === ratio);
  });

  it(
    'options: causal both alignments, windows, key lengths both sides with an empty row, every mask ' +
      'broadcast, scale',
    async () => {
      has('causal top-left', (g) => g.options.causal === 'top-left');
      has('causal bottom-right', (g) => g.options.causal === 'bottom-right');
      has('symmetric window', (g) => g.options.window !== null && g.options.window[0] === g.options.window[1]);
      has(
        'asymmetric window',
        (g) =>
          g.options.window !== null && g.options.window[0] !== g.options.window[1] && !g.options.window.includes(-1),
      );
      has('window unbounded left', (g) => g.options.window?.[0] === -1);
      has('window unbounded right', (g) => g.options.window?.[1] === -1);
      has('right padding', (g) => g.options.keyLengths !== null && g.options.paddingSide === 'right');
      has('left padding', (g) => g.options.keyLengths !== null && g.options.paddingSide === 'left');
      has('a fully padded batch row', (g) => g.options.keyLengths?.includes(0) === true);
      for (const [b, h] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ]) {
        has(`mask [${b ? 'B' : 1},${h ? 'Hq' : 1},Sq,Sk]`, (g) => {
          const m = g.options.mask;
          return m !== null && m.shape[0] > 1 === b && m.shape[1] > 1 === h;
        });
      }
      has('non-default scale', (g) => Math.abs(g.options.scale - 1 / Math.sqrt(dims(g).D)) > 1e-12);
      has('an empty query row (all-zero output row)', (g) => {
        const { Dv } = dims(g);
        const out = g.expected.out.data;
        for (let r = 0; r < out.length / Dv; r++)
          if (out.subarray(r * Dv, (r + 1) * Dv).every((x) => x === 0)) return true;
        return false;
      });
    },
  );

  it(
    'version 2: at least three files for each score option, and an lse of -inf for a row with no ' + 'visible key',
    async () => {
      const count = (f: (g: (typeof attention)[number]) => boolean) => attention.filter(f).length;
      expect(count((g) => g.options.softcap != null)).toBeGreaterThanOrEqual(3);
      expect(count((g) => g.options.alibiSlopes != null)).toBeGreaterThanOrEqual(3);
      expect(count((g) => g.options.bias != null && g.expected.dbias !== undefined)).toBeGreaterThanOrEqual(3);
      expect(count((g) => g.options.sinks != null && g.expected.dsinks !== undefined)).toBeGreaterThanOrEqual(3);
      has('ALiBi slopes [B, Hq]', (g) => g.options.alibiSlopes?.shape.length === 2);
      has(
        'a broadcast bias (dbias summed)',
        (g) => g.options.bias != null && g.options.bias.shape[0] === 1 && g.options.bias.shape[1] === 1,
      );
      has('lse -inf with a sink', (g) => g.options.sinks != null && g.expected.lse?.data.includes(-Infinity) === true);
    },
  );

  it('lora: with and without rsLoRA, and B = 0', async () => {
    expect(lora.some((g) => g.spec.rslora)).toBe(true);
    expect(lora.some((g) => !g.spec.rslora)).toBe(true);
    expect(lora.some((g) => g.inputs.B.data.every((x) => x === 0) && g.expected.dA.data.every((x) => x === 0))).toBe(
      true,
    );
  });
});
