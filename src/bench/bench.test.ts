/**
 * `attnfuzz bench`: the FLOP count, the log-axis chart, the refusal to time a wrong kernel, and the
 * command's outputs (the --json rows, the files of --out, one-line usage errors). Timings are
 * measured here only as far as they exist and are positive: speed is read, never asserted.
 */

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import type { AttentionKernel } from '../contract/index.js';
import { resolveKernel } from '../runner/index.js';
import { attentionFlops, logChart, wrongness } from './index.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let [out, err] = ['', ''];
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
  return { code, out, err };
}

describe('bench', () => {
  it('counts forward + backward as 3.5 times the two forward matmuls', () => {
    expect(attentionFlops(1, 4, 1024, 64)).toBe(3.5 * 4 * 4 * 1024 * 1024 * 64);
  });

  it('plots on log axes: a quantity that doubles moves the same distance at every step', () => {
    const svg = logChart({
      title: 't',
      xLabel: 'S',
      yLabel: 'ms',
      series: [
        {
          label: 'k cpu',
          points: [
            [64, 1],
            [128, 4],
            [256, 16],
          ],
        },
      ],
    });
    const cy = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(cy).toHaveLength(3);
    expect(cy[1]![0]! - cy[0]![0]!).toBeCloseTo(cy[2]![0]! - cy[1]![0]!, 0);
    expect(cy[0]![1]! - cy[1]![1]!).toBeCloseTo(cy[1]![1]! - cy[2]![1]!, 0);
    expect(svg).toContain('>k cpu</text>');
    expect(logChart({ title: 't', xLabel: 'S', yLabel: 'ms', series: [] })).toContain('no data');
  });

  it('refuses to time a kernel that is wrong against the float64 reference, saying by how much', async () => {
    const shape = { B: 1, Hq: 2, Hkv: 1, S: 12, D: 8 };
    expect(wrongness((await resolveKernel('flash')).attention!() as AttentionKernel, shape)).toBe(null);
    expect(
      wrongness(
        (await resolveKernel('fixtures/broken-kernels/value-grad-detached.ts')).attention!() as AttentionKernel,
        shape,
      ),
    ).toMatch(/^max relative error \S+ against the float64 reference/);
  });

  it(
    '--json prints one row per kernel, size and head dim; a wrong kernel is listed as not timed; --out ' +
      'writes the table, the data and two plots',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'attnfuzz-bench-'));
      const r = await cli(
        'bench',
        '--kernels',
        'sdpa,fixtures/broken-kernels/value-grad-detached.ts',
        '--backends',
        'cpu',
        '--sizes',
        '8,16',
        '--head-dims',
        '4',
        '--time',
        '5',
        '--harness-cases',
        '5',
        '--ceiling',
        '32',
        '--json',
        '--out',
        out,
      );
      expect(r.code, r.err).toBe(0);
      const rows = JSON.parse(r.out) as Array<Record<string, unknown>>;
      expect(rows.map((x) => [x.kernel, x.backend, x.S, x.D])).toEqual([
        ['sdpa', 'cpu', 8, 4],
        ['sdpa', 'cpu', 16, 4],
      ]);
      for (const x of rows) {
        expect(Object.keys(x)).toEqual(
          expect.arrayContaining(['kernel', 'backend', 'S', 'D', 'ms', 'gflops', 'ceilingRatio', 'peakBytes']),
        );
        expect(x.ms as number).toBeGreaterThan(0);
        expect(x.ceilingRatio).toBeCloseTo(
          (x.gflops as number) / JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')).ceilings[0].gflops,
          9,
        );
        expect(x.peakBytes as number).toBeGreaterThan(0);
      }
      expect(r.err).toMatch(
        /bench: cpu fixtures\/broken-kernels\/value-grad-detached\.ts: not timed: max relative error/,
      );
      const md = readFileSync(join(out, 'bench.md'), 'utf8');
      expect(md).toMatch(/^\| sdpa \| cpu \| 1 \| 4\/4 \| 16 \| 4 \|/m);
      expect(md).toMatch(/^- not timed: fixtures\/broken-kernels\/value-grad-detached\.ts on cpu: max relative error/m);
      expect(md).toMatch(/^\| sdpa \| cpu \| [\d.]+ \| [\d.]+% \|/m); // the harness profile
      for (const f of ['time.svg', 'gflops.svg'])
        expect(readFileSync(join(out, f), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*sdpa cpu[\s\S]*<\/svg>$/);
      expect(readFileSync(join(out, 'gflops.svg'), 'utf8')).toContain('cpu matMul 32³');
    },
  );

  it('usage errors name the flag and exit 2', async () => {
    for (const [flags, message] of [
      [['--sizes', '8,x'], /--sizes <list>' argument 'x' is invalid|must be comma-separated lengths >= 1, got 'x'/],
      [['--backends', 'gpu'], /unknown backend 'gpu'/],
      [['--kernels', 'nope.ts'], /^bench: --kernels nope\.ts: no such file/m],
    ] as const) {
      const r = await cli('bench', '--time', '5', '--harness-cases', '0', ...flags);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
    }
  });
});
