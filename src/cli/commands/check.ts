/**
 * `attnfuzz check --kernel <module | eager | sdpa | flash> [--time 60] [--runs N] [--seed S]
 *  [--backend B] [--corpus DIR] [--json]`
 *
 * Searches for a case where the kernel disagrees with the float64 reference (src/runner/search.ts),
 * and on a failure prints the shrunk repro, saves it to corpus/regressions/<hash>.json with its
 * heatmap beside it. Exit 0: no failure within the budget; 1: a failure; 2: usage or load error.
 * `runCheck` is the whole command; `register` only parses flags. `--backends cpu,wasm` is the
 * cross-backend mode (checkCross.ts).
 */
import type { Command } from 'commander';
import { parseBackend, useBackend } from '../../backend/index.js';
import { REGRESSIONS_DIR, saveFailure } from '../../corpus/index.js';
import { summarizeVerdict } from '../../oracle/index.js';
import { formatRepro, heatmapSvg } from '../../report/index.js';
import { resolveKernel, searchFailure, type SearchProgress, type SearchResult } from '../../runner/index.js';
import { runTrainingCheckCommand } from './checkTraining.js';
import { progressReporter, searchBudget, UsageError } from './searchFlags.js';
import { runCrossCheck } from './checkCross.js';

export interface CheckFlags {
  readonly kernel?: string;
  readonly time?: string;
  readonly runs?: string;
  readonly seed?: string;
  readonly backend?: string;
  /** Cross-backend mode: a comma-separated list of at least two backends (checkCross.ts). */
  readonly backends?: string;
  readonly corpus?: string;
  readonly json?: boolean;
  /** 'attention' (default) or 'training' (src/training: the LoRA training step of a tiny decoder). */
  readonly suite?: string;
}

export interface CheckIo {
  out(s: string): void;
  err(s: string): void;
  /** Whether err is a terminal: a live progress line, else a plain line every 10 s. */
  readonly errIsTTY: boolean;
}

/** Heatmap of the failing tensor at the worst (batch, head), or undefined when nothing ran. */
function heatmapOf(r: Extract<SearchResult, { status: 'failed' }>): string | undefined {
  const { verdict, result, reference, kernel } = r.shrunk;
  if (!result || (verdict.status !== 'mismatch' && verdict.status !== 'nonfinite') || !('worst' in verdict.failing)) return undefined;
  const { tensor: t, worst } = verdict.failing;
  return heatmapSvg({ kernel, tensor: t, got: result[t], ref: reference[t], b: worst.b, h: worst.h });
}

export async function runCheck(flags: CheckFlags, io: CheckIo): Promise<number> {
  if (flags.backends !== undefined) return runCrossCheck(flags, io);
  if (flags.suite === 'training') return runTrainingCheckCommand(flags, io);
  if (flags.suite !== undefined && flags.suite !== 'attention') {
    io.err(`check: --suite must be attention or training, got '${flags.suite}'\n`);
    return 2;
  }
  let search: Parameters<typeof searchFailure>[0];
  let backend: string;
  try {
    if (!flags.kernel) throw new UsageError('check: --kernel is required: a module path or one of eager, sdpa, flash');
    const { seed, numRuns, timeMs } = searchBudget(flags, 'check');
    backend = parseBackend(flags.backend ?? (process.env.ATTNFUZZ_BACKEND || undefined), '--backend');
    try {
      await useBackend(backend as Parameters<typeof useBackend>[0]);
    } catch (e) {
      throw new UsageError(`check: --backend ${backend}: ${(e as Error).message}`);
    }
    const kernel = await resolveKernel(flags.kernel);
    search = { kernel, seed, numRuns, timeMs, ...progressReporter(kernel.label, io) };
  } catch (e) {
    const line = (e as Error).message.split('\n')[0]!;
    io.err(`${line.startsWith('check:') ? line : `check: ${line}`}\n`);
    return 2;
  }
  const result = searchFailure(search);
  if (io.errIsTTY) io.err('\r\x1b[K');
  const rate = (result.cases * 1000) / Math.max(1, result.elapsedMs);
  if (result.status === 'clean') {
    const line = `${search.kernel.label}: no failure in ${result.cases} cases (${result.unsupported} unsupported) in ${(result.elapsedMs / 1000).toFixed(1)} s, ${rate.toFixed(1)} cases/s, seed ${result.seed}`;
    if (flags.json) io.out(JSON.stringify({ kernel: search.kernel.label, status: 'clean', seed: result.seed, cases: result.cases, unsupported: result.unsupported, elapsedMs: Math.round(result.elapsedMs), casesPerSecond: rate }) + '\n');
    else io.out(`${line}\n`);
    return 0;
  }
  const svg = heatmapOf(result);
  const saved = saveFailure(
    {
      case: result.shrunk.case,
      kernel: search.kernel.ref,
      expect: 'pass',
      verdict: { status: result.shrunk.verdict.status, summary: summarizeVerdict(result.shrunk.verdict) },
      seed: result.seed,
      path: result.path,
      backend,
    },
    flags.corpus ?? REGRESSIONS_DIR,
    svg,
  );
  const svgPath = svg === undefined ? null : saved.svg;
  if (flags.json) {
    io.out(
      JSON.stringify({
        kernel: search.kernel.label,
        status: 'failed',
        seed: result.seed,
        path: result.path,
        cases: result.cases,
        numShrinks: result.numShrinks,
        simplified: result.simplified,
        elapsedMs: Math.round(result.elapsedMs),
        casesPerSecond: rate,
        case: result.shrunk.case,
        verdict: result.shrunk.verdict,
        saved: saved.json,
        heatmap: svgPath,
      }) + '\n',
    );
  } else {
    const lines = formatRepro({ check: result.shrunk, savedJson: saved.json, savedSvg: svgPath, seed: result.seed, path: result.path, cases: result.cases, numShrinks: result.numShrinks, simplified: result.simplified });
    io.out(lines.join('\n') + '\n');
  }
  return 1;
}

export function register(program: Command, setCode: (c: number) => void): void {
  program
    .command('check')
    .description('search for a case where a kernel disagrees with the float64 reference; shrink, print and save it')
    .requiredOption('--kernel <module|name>', 'eager, sdpa, flash, or a module whose default export is an AttentionKernel')
    .option('--time <seconds>', 'time budget of the search (default 60, unless --runs is given)')
    .option('--runs <n>', 'case budget of the search')
    .option('--seed <n>', 'fast-check seed (default: from the clock, printed)')
    .option('--backend <name>', 'tfjs backend: cpu, wasm or tensorflow (default: ATTNFUZZ_BACKEND, else cpu)')
    .option('--backends <list>', 'cross-backend mode: run the kernel on each listed backend (e.g. cpu,wasm), judge each and compare them with each other')
    .option('--corpus <dir>', `where failures are saved (default ${REGRESSIONS_DIR})`)
    .option('--json', 'print one JSON object instead of text')
    .option('--suite <name>', 'attention (default) or training: the kernel as the attention of a tiny LoRA-trained decoder')
    .action(async (opts: CheckFlags) => {
      setCode(await runCheck(opts, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), errIsTTY: Boolean(process.stderr.isTTY) }));
    });
}
