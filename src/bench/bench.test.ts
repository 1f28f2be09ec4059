/**
 * `attnfuzz bench`: the FLOP count, the log-axis chart, the refusal to time a wrong kernel, and the
 * command's outputs (the --json rows, the files of --out, one-line usage errors). Timings are
 * measured here only as far as they exist and are positive: speed is read, never asserted.
 */

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../fixtures/cli.js';
import { type AttentionKernel, defineAttentionKernel } from '../contract/index.js';
import { builtinKernel, resolveKernel } from '../runner/index.js';
import { attentionFlops, describeMachine, logChart, machineLine, runBench, wrongness } from './index.js';

describe('bench', () => {
  it('counts forward + backward as 3.5 times the two forward matmuls, and causal as half of that', () => {
    expect(attentionFlops(1, 4, 1024, 64)).toBe(3.5 * 4 * 4 * 1024 * 1024 * 64);
    expect(attentionFlops(1, 4, 1024, 64, true)).toBe(attentionFlops(1, 4, 1024, 64) / 2);
  });

  it('names the machine: CPU model, core count, OS, Node and tfjs versions', () => {
    const m = describeMachine();
    expect(m.cpu).toMatch(/\S/);
    expect(Number.isInteger(m.cores) && m.cores >= 1).toBe(true);
    expect(m.node).toBe(process.version);
    expect(m.tfjs).toMatch(/^\d+\.\d+\.\d+/);
    expect(machineLine(m)).toBe(
      `${m.cpu}, ${m.cores} core${m.cores === 1 ? '' : 's'} (${m.os}, Node ${m.node}, tfjs ${m.tfjs})`,
    );
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
    '--json prints one row per kernel, size, head dim and causal, each naming its machine and ceiling; a wrong ' +
      'kernel is listed as not timed; --out writes the table, the data and two plots',
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
        '--causal',
        '--json',
        '--out',
        out,
      );
      expect(r.code, r.err).toBe(0);
      const rows = JSON.parse(r.out) as Array<Record<string, unknown>>;
      expect(rows.map((x) => [x.kernel, x.backend, x.S, x.D, x.causal])).toEqual([
        ['sdpa', 'cpu', 8, 4, false],
        ['sdpa', 'cpu', 8, 4, true],
        ['sdpa', 'cpu', 16, 4, false],
        ['sdpa', 'cpu', 16, 4, true],
      ]);
      const report = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8'));
      const machine = describeMachine();
      expect(report.machine).toEqual(machine);
      for (const x of rows) {
        expect(Object.keys(x)).toEqual(
          expect.arrayContaining(['kernel', 'backend', 'S', 'D', 'ms', 'gflops', 'ceilingRatio', 'peakBytes']),
        );
        // Every row names its machine and its ceiling, so it can be read on its own.
        expect([x.cpu, x.cores, x.ceilingN]).toEqual([machine.cpu, machine.cores, 32]);
        expect(x.ceilingGflops).toBe(report.ceilings[0].gflops);
        expect(x.loadAverage as number).toBeGreaterThanOrEqual(0);
        expect(x.ms as number).toBeGreaterThan(0);
        expect(x.ceilingRatio).toBeCloseTo((x.gflops as number) / (x.ceilingGflops as number), 9);
        expect(x.gflops).toBeCloseTo(
          attentionFlops(1, 4, x.S as number, 4, x.causal as boolean) / ((x.ms as number) * 1e6),
          9,
        );
        expect(x.peakBytes as number).toBeGreaterThan(0);
        // The share by CPU time, what a busy shared machine moves least.
        expect(x.cpuMs as number).toBeGreaterThan(0);
        expect(x.cpuCeilingRatio).toBeCloseTo(
          attentionFlops(1, 4, x.S as number, 4, x.causal as boolean) /
            (x.cpuMs as number) /
            ((2 * 32 ** 3) / report.ceilings[0].cpuMs),
          9,
        );
      }
      expect(r.err).toContain(`bench: machine: ${machineLine(machine)}; load average `);
      expect(r.err).toMatch(
        new RegExp(
          String.raw`bench: cpu sdpa S=16 D=4 causal: .* of matMul 32\^3 = [\d.]+ GFLOP\/s; by CPU time [\d.]+ ms, ` +
            String.raw`[\d.]+%\), .*; .+, \d+ cores, load `,
        ),
      );
      expect(r.err).toMatch(
        /bench: cpu fixtures\/broken-kernels\/value-grad-detached\.ts: not timed: max relative error/,
      );
      const md = readFileSync(join(out, 'bench.md'), 'utf8');
      expect(md.split('\n')[0]).toBe(
        `Machine: ${machineLine(machine)}; load average ${report.load.start.toFixed(2)} at the start, ` +
          `${report.load.end.toFixed(2)} at the end (${report.date}).`,
      );
      expect(md).toContain(`| ${machine.cpu} | ${machine.cores} |`); // the ceiling's row
      expect(md).toMatch(/^\| sdpa \| cpu \| 1 \| 4\/4 \| 16 \| 4 \| yes \|/m);
      expect(md).toMatch(/^- not timed: fixtures\/broken-kernels\/value-grad-detached\.ts on cpu: max relative error/m);
      expect(md).toMatch(/^\| sdpa \| cpu \| [\d.]+ \| [\d.]+% \|/m); // the harness profile
      for (const f of ['time.svg', 'gflops.svg'])
        expect(readFileSync(join(out, f), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*sdpa cpu[\s\S]*<\/svg>$/);
      expect(readFileSync(join(out, 'gflops.svg'), 'utf8')).toContain('cpu matMul 32³');
    },
  );

  it('a size that throws (out of wasm memory, say) is listed as not timed; the other sizes are timed', async () => {
    const sdpa = builtinKernel('sdpa').attention!() as AttentionKernel;
    const large = defineAttentionKernel({
      name: 'throws-at-128',
      forward(q, k, v, opts, tf) {
        // The check before timing runs at S = 96: only the timing at 128 throws.
        if (q.shape[2] === 128) throw new Error('Aborted(OOM)\nstack');
        return sdpa.forward(q, k, v, opts, tf);
      },
    });
    const r = await runBench({
      kernels: [{ label: 'throws-at-128', ref: { module: 'throws-at-128' }, attention: () => large }],
      backends: ['cpu'],
      sizes: [8, 128],
      headDims: [4],
      B: 1,
      Hq: 2,
      Hkv: 2,
      timeMs: 5,
      ceilingN: 32,
      harnessCases: 0,
      seed: 1,
    });
    expect(r.rows.map((x) => x.S)).toEqual([8]);
    expect(r.skipped).toEqual([{ kernel: 'throws-at-128', backend: 'cpu', reason: 'S=128 D=4: threw: Aborted(OOM)' }]);
  });

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
