/**
 * `attnfuzz bench [--kernels eager,sdpa,flash,<module>] [--backends wasm] [--sizes 128,256,512,1024]
 *   [--head-dims 64] [--heads 4] [--gqa] [--time MS] [--harness-cases N] [--json] [--out DIR]`
 *
 * Speed of attention kernels as a training step runs them (forward + backward, B = 1, Hq = 4 by
 * default, Sq = Sk = S, no mask), each kernel first checked once against the float64 reference;
 * effective GFLOP/s and its share of the same backend's matMul measured in the same run; peak
 * tensor memory; and the harness on default `check` cases (cases/s, where a case's time goes).
 * Prints a markdown table (or, with --json, the rows {kernel, backend, S, D, ms, gflops,
 * ceilingRatio, peakBytes, ...}); --out DIR also gets bench.md, bench.json, time.svg and
 * gflops.svg (log axes). Progress goes to stderr, one line per measurement. Exit 0, or 2 for a
 * usage error or a kernel that cannot be loaded; a kernel that is wrong is listed as not timed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ALL_BACKENDS, type AnyBackend, inProcess, prepareBackends } from '../../backend/index.js';
import { benchMarkdown, benchPlots, runBench } from '../../bench/index.js';
import type { AdapterChoice } from '../../execute/index.js';
import { resolveKernel, type WithPages, withPages } from '../../runner/index.js';
import type { Io } from '../io.js';
import {
  adapterOption,
  attentionConstraintsOf,
  browserOption,
  jsonOption,
  pageOptionsOf,
  seedOption,
} from '../options.js';

const BENCH_FILES = ['bench.md', 'bench.json', 'time.svg', 'gflops.svg'];

export interface BenchFlags {
  readonly kernels: string;
  readonly backends: readonly AnyBackend[];
  /** Page backends: `--adapter`, `--browser`. */
  readonly adapter?: AdapterChoice;
  readonly browser?: string;
  readonly sizes: readonly number[];
  readonly headDims: readonly number[];
  readonly heads: number;
  readonly gqa?: boolean;
  readonly time: number;
  readonly harnessCases: number;
  readonly ceiling: number;
  readonly seed?: number;
  readonly json?: boolean;
  readonly out?: string;
}

function integers(what: string) {
  return (v: string): number[] => {
    const xs = v.split(',').map((s) => s.trim());
    const bad = xs.find((s) => !/^\d+$/.test(s) || Number(s) < 1);
    if (bad !== undefined) throw new InvalidArgumentError(`must be comma-separated ${what} >= 1, got '${bad}'`);
    return xs.map(Number);
  };
}

function backendNames(v: string): AnyBackend[] {
  const names = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.find((n) => !(ALL_BACKENDS as readonly string[]).includes(n));
  if (unknown !== undefined)
    throw new InvalidArgumentError(`unknown backend '${unknown}'; expected some of ${ALL_BACKENDS.join(', ')}`);
  return [...new Set(names)] as AnyBackend[];
}

function nonNegativeInteger(v: string): number {
  if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`must be an integer >= 0, got '${v}'`);
  return Number(v);
}

export async function runBenchCommand(flags: BenchFlags, io: Io): Promise<number> {
  const kernels: WithPages[] = [];
  try {
    for (const name of flags.kernels
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const k = await resolveKernel(name, 'attention', process.cwd(), '--kernels');
      kernels.push(await withPages(k, flags.backends, pageOptionsOf(flags)));
    }
    await prepareBackends(inProcess(flags.backends));
  } catch (e) {
    await Promise.all(kernels.map((k) => k.close?.()));
    io.err(`bench: ${((e as Error).message ?? String(e)).split('\n')[0]}\n`);
    return 2;
  }
  try {
    return await benchAndReport(flags, kernels, io);
  } finally {
    await Promise.all(kernels.map((k) => k.close?.()));
  }
}

async function benchAndReport(flags: BenchFlags, kernels: WithPages[], io: Io): Promise<number> {
  const Hq = flags.heads;
  const Hkv = flags.gqa ? 1 : Hq;
  if (kernels.length === 0) {
    io.err(`bench: --kernels: no kernel named\n`);
    return 2;
  }
  const seed = flags.seed ?? 20261130;
  io.err(
    `bench: ${kernels.map((k) => k.label).join(', ')} on ${flags.backends.join(', ')}; B=1 Hq=${Hq} ` +
      `Hkv=${Hkv}, S ${flags.sizes.join(',')}, D ${flags.headDims.join(',')}; forward + backward, about ` +
      `${flags.time} ms per measurement\n`,
  );
  const report = await runBench({
    kernels,
    backends: flags.backends,
    sizes: flags.sizes,
    headDims: flags.headDims,
    B: 1,
    Hq,
    Hkv,
    timeMs: flags.time,
    ceilingN: flags.ceiling,
    harnessCases: flags.harnessCases,
    seed,
    constraints: attentionConstraintsOf({}),
    onProgress: (line) => io.err(`bench: ${line}\n`),
  });
  const md = benchMarkdown(report);
  if (flags.out !== undefined) {
    try {
      mkdirSync(flags.out, { recursive: true });
      const plots = benchPlots(report);
      writeFileSync(join(flags.out, 'bench.md'), md);
      writeFileSync(join(flags.out, 'bench.json'), JSON.stringify(report, null, 2) + '\n');
      writeFileSync(join(flags.out, 'time.svg'), plots.time);
      writeFileSync(join(flags.out, 'gflops.svg'), plots.gflops);
      io.err(`bench: wrote ${BENCH_FILES.map((f) => join(flags.out!, f)).join(', ')}\n`);
    } catch (e) {
      io.err(
        `bench: --out ${flags.out}: could not write (${((e as Error).message ?? String(e)).split('\n')[0]}); ` +
          `the results follow on stdout\n`,
      );
    }
  }
  io.out(flags.json ? JSON.stringify(report.rows) + '\n' : md);
  return 0;
}

export function register(program: Command, io: Io, setCode: (c: number) => void): void {
  program
    .command('bench')
    .description(
      "time kernels forward + backward against the backend's own matMul, with peak memory and the harness's " +
        'cases/s; a table, --json rows, --out plots',
    )
    .addOption(
      new Option('--kernels <list>', 'built-ins or kernel modules, comma-separated').default('eager,sdpa,flash'),
    )
    .addOption(
      new Option(
        '--backends <list>',
        'tfjs backends, comma-separated: cpu, wasm, tensorflow; webgpu, webgl (in headless Chromium: cases/s only)',
      )
        .argParser(backendNames)
        .default(['wasm'], 'wasm'),
    )
    .addOption(
      new Option('--sizes <list>', 'sequence lengths S (Sq = Sk)')
        .argParser(integers('lengths'))
        .default([128, 256, 512, 1024], '128,256,512,1024'),
    )
    .addOption(
      new Option('--head-dims <list>', 'head dims D (= Dv)').argParser(integers('head dims')).default([64], '64'),
    )
    .addOption(new Option('--heads <n>', 'query heads Hq').argParser((v) => integers('head counts')(v)[0]!).default(4))
    .addOption(new Option('--gqa', 'one key/value head for all query heads (Hkv = 1)'))
    .addOption(
      new Option('--time <ms>', 'time per measurement in milliseconds (at least 3 samples each)')
        .argParser((v) => integers('milliseconds')(v)[0]!)
        .default(1000),
    )
    .addOption(
      new Option('--harness-cases <n>', 'default check cases per kernel for the harness profile (0: skip it)')
        .argParser(nonNegativeInteger)
        .default(200),
    )
    .addOption(
      new Option('--ceiling <n>', 'n of the n x n x n matMul that measures the ceiling')
        .argParser((v) => integers('sizes')(v)[0]!)
        .default(1024),
    )
    .addOption(adapterOption())
    .addOption(browserOption())
    .addOption(seedOption())
    .addOption(jsonOption())
    .addOption(new Option('--out <dir>', 'also write bench.md, bench.json, time.svg and gflops.svg here'))
    .action(async (opts: BenchFlags) => setCode(await runBenchCommand(opts, io)));
}
