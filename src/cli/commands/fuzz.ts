/**
 * `attnfuzz fuzz [--kernels eager,sdpa,flash,<module>...] [--suites attention,lora,training,decode]
 *   [--time 10m | --runs N] [--workers N] [--backend B] [--seed S] [--shard i/n] [--profile P]
 *   [--precision float32|bfloat16|float16] [--corpus DIR] [--report DIR] [--timeout S] [--shrink-time S] [--json]`
 *
 * A campaign (src/campaign `runCampaign`): cases of every kernel x suite in worker threads,
 * failures deduplicated by signature, each new one shrunk once and saved to --corpus, the report
 * (report.json, junit.xml, index.html) written to --report. The seed is printed before anything
 * runs. Ctrl-C or SIGTERM stops it gracefully: workers ended, what was found saved, the report
 * written; a second signal ends the process at once.
 * Exit 0: cases ran, none failed; 1: a case failed (a new or a known signature); 2: usage or load
 * error, or nothing was checked.
 *
 * This file is the options table; fuzzRun.ts runs the campaign, fuzzReport.ts reports its end.
 */
import { availableParallelism } from 'node:os';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_KERNELS, DEFAULT_SUITES } from '../../campaign/index.js';
import { SUITES, type SuiteName } from '../../runner/index.js';
import { durationSeconds } from '../duration.js';
import type { Io } from '../io.js';
import {
  adapterOption,
  backendOption,
  browserOption,
  deviceOption,
  jsonOption,
  precisionOption,
  profileOption,
  pythonOption,
  runsOption,
  seedOption,
} from '../options.js';
import type { FuzzFlags } from './fuzzFlags.js';
import { runFuzz } from './fuzzRun.js';

export type { FuzzFlags, FuzzRuntime } from './fuzzFlags.js';
export { runFuzz } from './fuzzRun.js';

export const FUZZ_CORPUS = 'corpus/fuzz';
export const FUZZ_REPORT = 'fuzz-report';

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function suiteList(v: string): SuiteName[] {
  const names = list(v);
  const bad = names.find((n) => !(SUITES as readonly string[]).includes(n));
  if (bad !== undefined || names.length === 0)
    throw new InvalidArgumentError(`expected some of ${SUITES.join(', ')}, got '${v}'`);
  return [...new Set(names)] as SuiteName[];
}

function positiveInteger(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`must be a positive integer, got '${v}'`);
  return n;
}

/**
 * Ctrl-C / SIGTERM: the first stops the campaign gracefully, another one later ends the process.
 * Ctrl-C reaches every process of the terminal's group, and wrappers (bin/attnfuzz.mjs, tsx)
 * forward it too, so copies arriving within a second of the first are one signal.
 */
function stopOnSignals(io: Io): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  let first = 0;
  const on = (name: NodeJS.Signals) => () => {
    if (ctl.signal.aborted) {
      if (performance.now() - first > 1000) process.exit(130);
      return;
    }
    first = performance.now();
    io.err(
      `fuzz: ${name}: stopping: ending the workers, saving what was found, writing the report (again to quit now)\n`,
    );
    ctl.abort();
  };
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((s) => [s, on(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return {
    signal: ctl.signal,
    dispose: () => {
      for (const [s, h] of handlers) process.off(s, h);
    },
  };
}

/** The options table of `fuzz`: each flag, its rule and its default; the action is `runFuzz`. */
export function register(program: Command, io: Io, setCode: (c: number) => void): void {
  program
    .command('fuzz')
    .description(
      'a campaign: every kernel x suite in worker threads, failures deduplicated by signature, each new one ' +
        'shrunk and saved; writes a report',
    )
    .addOption(
      new Option(
        '--kernels <list>',
        `built-ins or kernel modules, comma-separated (default ${DEFAULT_KERNELS.join(',')})`,
      ).argParser(list),
    )
    .addOption(
      new Option('--suites <list>', `suites, comma-separated (default ${DEFAULT_SUITES.join(',')})`).argParser(
        suiteList,
      ),
    )
    .addOption(
      new Option(
        '--time <duration>',
        'time budget of this shard: seconds or 90s, 10m, 1h (default 60 s, unless --runs is given)',
      ).argParser(durationSeconds),
    )
    .addOption(runsOption().makeOptionMandatory(false))
    .addOption(
      new Option('--workers <n>', 'worker threads, each with its own tfjs backend')
        .argParser(positiveInteger)
        .default(availableParallelism(), 'the number of CPUs'),
    )
    .addOption(backendOption())
    .addOption(adapterOption())
    .addOption(browserOption())
    .addOption(seedOption())
    .addOption(
      new Option(
        '--shard <i/n>',
        'run shard i of n (0-based) of the campaign; default from JOB_COMPLETION_INDEX + ATTNFUZZ_SHARD_COUNT ' +
          'or SLURM_ARRAY_TASK_ID/COUNT, else 0/1',
      ),
    )
    .addOption(profileOption())
    .addOption(precisionOption())
    .addOption(
      new Option('--corpus <dir>', 'where new failures are saved (one file per signature)').default(FUZZ_CORPUS),
    )
    .addOption(
      new Option('--report <dir>', 'where report.json, junit.xml and index.html are written').default(FUZZ_REPORT),
    )
    .addOption(
      new Option(
        '--timeout <seconds>',
        'per case: a case still running after this ends its worker (recorded as a timeout)',
      )
        .argParser(durationSeconds)
        .default(60),
    )
    .addOption(
      new Option('--shrink-time <seconds>', 'budget of shrinking one new failure')
        .argParser(durationSeconds)
        .default(30),
    )
    .addOption(
      new Option(
        '--isolation <kind>',
        "workers as 'thread's or 'process'es (default: processes for --backend tensorflow, whose addon loads " +
          'in one thread only, else threads)',
      ).choices(['thread', 'process']),
    )
    .addOption(jsonOption())
    .addOption(deviceOption())
    .addOption(pythonOption())
    .action(async (opts: FuzzFlags) => {
      const stop = stopOnSignals(io);
      try {
        setCode(await runFuzz(opts, io, { signal: stop.signal }));
      } finally {
        stop.dispose();
      }
    });
}
