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
 */
import { availableParallelism } from 'node:os';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type AnyBackend, isPageBackend, useBackend } from '../../backend/index.js';
import {
  type CampaignResult,
  CampaignSetupError,
  DEFAULT_KERNELS,
  DEFAULT_SUITES,
  resolveTargets,
  runCampaign,
  type SpawnWorker,
  shardFrom,
  spawnProcess,
  spawnThread,
  type Target,
  targetName,
  writeReport,
} from '../../campaign/index.js';
import type { Precision } from '../../contract/index.js';
import { ensureCorpusFolder } from '../../corpus/index.js';
import { type AdapterChoice, type AdapterInfo, formatAdapter } from '../../execute/index.js';
import { probeAdapter, SUITES, type SuiteName } from '../../runner/index.js';
import { campaignDisplay } from '../campaignProgress.js';
import { durationSeconds } from '../duration.js';
import type { Io } from '../io.js';
import {
  adapterOption,
  backendOf,
  backendOption,
  browserOption,
  jsonOption,
  pageOptionsOf,
  precisionOption,
  profileOption,
  runsOption,
  seedOption,
} from '../options.js';
import { type ProfileName, profileConstraints } from '../profile.js';

export const FUZZ_CORPUS = 'corpus/fuzz';
export const FUZZ_REPORT = 'fuzz-report';

export interface FuzzFlags {
  readonly kernels?: readonly string[];
  readonly suites?: readonly SuiteName[];
  readonly time?: number;
  readonly runs?: number;
  readonly workers: number;
  readonly backend?: AnyBackend;
  /** Page backends: which adapter and which Chromium. */
  readonly adapter?: AdapterChoice;
  readonly browser?: string;
  readonly seed?: number;
  readonly shard?: string;
  readonly profile: ProfileName;
  /** Pins the dtype of every target's cases; absent: all precisions are drawn. */
  readonly precision?: Precision;
  readonly corpus: string;
  readonly report: string;
  readonly timeout: number;
  readonly shrinkTime: number;
  /**
   * Workers as threads or processes; default processes for the tensorflow backend (tensorflow/tfjs#8388), else threads.
   */
  readonly isolation?: 'thread' | 'process';
  readonly json?: boolean;
}

/** What the command line does not carry: a stop signal and workers (tests). */
export interface FuzzRuntime {
  readonly signal?: AbortSignal;
  readonly spawn?: SpawnWorker;
}

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

/** A usage or load error: one line on stderr, exit 2. */
class FuzzError extends Error {}
const firstLine = (e: unknown) => ((e as Error).message ?? String(e)).split('\n')[0]!;

async function prepare(flags: FuzzFlags): Promise<{
  backend: AnyBackend;
  adapter: AdapterInfo | null;
  targets: Target[];
  unused: string[];
  shard: ReturnType<typeof shardFrom>;
}> {
  let backend: AnyBackend;
  let shard: ReturnType<typeof shardFrom>;
  try {
    backend = backendOf(flags.backend);
    shard = shardFrom(flags.shard);
  } catch (e) {
    throw new FuzzError(`fuzz: ${firstLine(e)}`);
  }
  let adapter: AdapterInfo | null = null;
  try {
    if (isPageBackend(backend)) adapter = await probeAdapter(backend, pageOptionsOf(flags));
    else await useBackend(backend);
  } catch (e) {
    throw new FuzzError(`fuzz: --backend ${backend}: ${firstLine(e)}`);
  }
  let targets: Target[];
  let unused: string[];
  try {
    const r = await resolveTargets(flags.kernels ?? DEFAULT_KERNELS, flags.suites ?? DEFAULT_SUITES);
    if (r.targets.length === 0)
      throw new Error(
        `--kernels ${(flags.kernels ?? DEFAULT_KERNELS).join(',')}: none runs in the suites asked for ` +
          `(${(flags.suites ?? DEFAULT_SUITES).join(', ')})`,
      );
    targets = r.targets.map((t) => ({ ...t, constraints: profileConstraints(flags.profile, t, flags.precision) }));
    unused = r.unused;
  } catch (e) {
    throw new FuzzError(`fuzz: ${firstLine(e).replace(/^fuzz: /, '')}`);
  }
  try {
    ensureCorpusFolder(flags.corpus);
  } catch (e) {
    throw new FuzzError(`fuzz: --corpus ${flags.corpus}: cannot save cases there: ${firstLine(e)}`);
  }
  return { backend, adapter, targets, unused, shard };
}

function summary(r: CampaignResult, files: { html: string } | null, flags: FuzzFlags): string[] {
  const t = r.report.totals;
  const lines = [
    `fuzz: ${t.cases} cases in ${r.report.elapsedSeconds.toFixed(1)} s (${t.casesPerSecond} cases/s, ` +
      `${r.report.workers} worker${r.report.workers === 1 ? '' : 's'}), seed ${r.report.seed}, shard ` +
      `${r.report.shard.index}/${r.report.shard.count}, ended by ${r.report.ended}: ${t.failed} failed, ` +
      `${t.distinct} distinct failures (${t.newDistinct} new)`,
  ];
  for (const x of r.report.targets)
    lines.push(
      `  ${x.kernel} (${x.suite}): ${x.cases} cases, ${x.unsupported} unsupported, ${x.failed} failed, ` +
        `${x.distinct} distinct${x.stopped ? `; ${x.stopped}` : ''}`,
    );
  for (const f of r.report.failures) {
    lines.push(`${f.known ? 'known' : 'new'}: ${f.signature} (${f.hits} hit${f.hits === 1 ? '' : 's'}): ${f.summary}`);
    if (f.replay) lines.push(`  replay: ${f.replay}`);
  }
  lines.push(
    files
      ? `report: ${files.html} (and report.json, junit.xml beside it)`
      : `report: not written to ${flags.report} (see above)`,
  );
  return lines;
}

/** The command that runs the same campaign again (the seed made explicit). */
function commandOf(flags: FuzzFlags, seed: number, shard: { index: number; count: number }): string {
  const parts = ['attnfuzz fuzz'];
  if (flags.kernels) parts.push(`--kernels ${flags.kernels.join(',')}`);
  if (flags.suites) parts.push(`--suites ${flags.suites.join(',')}`);
  if (flags.time !== undefined) parts.push(`--time ${flags.time}`);
  if (flags.runs !== undefined) parts.push(`--runs ${flags.runs}`);
  parts.push(`--seed ${seed}`, `--workers ${flags.workers}`);
  if (shard.count > 1) parts.push(`--shard ${shard.index}/${shard.count}`);
  if (flags.backend) parts.push(`--backend ${flags.backend}`);
  if (flags.adapter) parts.push(`--adapter ${flags.adapter}`);
  if (flags.browser) parts.push(`--browser ${flags.browser}`);
  if (flags.profile !== 'default') parts.push(`--profile ${flags.profile}`);
  if (flags.precision !== undefined) parts.push(`--precision ${flags.precision}`);
  return parts.join(' ');
}

export async function runFuzz(flags: FuzzFlags, io: Io, rt: FuzzRuntime = {}): Promise<number> {
  let p: Awaited<ReturnType<typeof prepare>>;
  try {
    p = await prepare(flags);
  } catch (e) {
    if (!(e instanceof FuzzError)) throw e;
    io.err(`${e.message}\n`);
    return 2;
  }
  const seed = flags.seed ?? Date.now() % 0x7fffffff;
  const timeMs = flags.time !== undefined ? flags.time * 1000 : flags.runs === undefined ? 60_000 : undefined;
  const budget = [
    timeMs !== undefined ? `${timeMs / 1000} s` : '',
    flags.runs !== undefined ? `${flags.runs} cases${p.shard.shard.count > 1 ? ' (all shards)' : ''}` : '',
  ]
    .filter(Boolean)
    .join(' or ');
  const from = p.shard.source ? ` (from ${p.shard.source})` : '';
  io.err(
    `fuzz: seed ${seed}, shard ${p.shard.shard.index}/${p.shard.shard.count}${from}, ${flags.workers} ` +
      `worker${flags.workers === 1 ? '' : 's'} on ${p.backend}, profile ` +
      `${flags.profile}${flags.precision !== undefined ? `, ${flags.precision}` : ''}, budget ${budget}\n`,
  );
  if (p.adapter) io.err(`fuzz: ${p.adapter.backend} adapter: ${formatAdapter(p.adapter)}\n`);
  io.err(`fuzz: ${p.targets.map(targetName).join(', ')}; corpus ${flags.corpus}, report ${flags.report}\n`);
  if (p.unused.length > 0) io.err(`fuzz: not run (no suite of theirs was asked for): ${p.unused.join(', ')}\n`);
  const display = flags.json ? null : campaignDisplay({ timeMs, runs: flags.runs }, io);
  let result: CampaignResult;
  try {
    result = await runCampaign({
      targets: p.targets,
      seed,
      backend: p.backend,
      ...(p.adapter ? { pages: pageOptionsOf(flags), adapter: p.adapter } : {}),
      workers: flags.workers,
      shard: p.shard.shard,
      runs: flags.runs,
      timeMs,
      corpus: flags.corpus,
      caseTimeoutMs: flags.timeout * 1000,
      shrinkTimeMs: flags.shrinkTime * 1000,
      command: commandOf(flags, seed, p.shard.shard),
      signal: rt.signal,
      spawn:
        rt.spawn ??
        ((flags.isolation ?? (p.backend === 'tensorflow' ? 'process' : 'thread')) === 'process'
          ? spawnProcess
          : spawnThread),
      onProgress: display?.onProgress,
      progressMs: display?.progressMs,
      log: (line) => io.err(`fuzz: ${line}\n`),
    });
  } catch (e) {
    display?.stop();
    if (!(e instanceof CampaignSetupError)) throw e;
    io.err(`fuzz: ${e.message}\n`);
    return 2;
  }
  display?.stop();
  let files: { html: string } | null = null;
  try {
    files = writeReport(flags.report, result.report);
  } catch (e) {
    io.err(`fuzz: --report ${flags.report}: could not write the report: ${firstLine(e)}\n`);
  }
  if (flags.json)
    io.out(
      JSON.stringify({
        ...result.report.totals,
        seed,
        shard: result.report.shard,
        failures: result.report.failures.map((f) => ({
          signature: f.signature,
          hits: f.hits,
          known: f.known,
          file: f.file,
        })),
        report: files?.html ?? null,
      }) + '\n',
    );
  else io.out(summary(result, files, flags).join('\n') + '\n');
  const t = result.report.totals;
  if (result.failed) return 1;
  if (t.cases === t.unsupported) {
    io.err(
      `fuzz: nothing was checked: ` +
        `${t.cases === 0 ? 'no case ran' : `all ${t.cases} cases were declined by the kernels`}\n`,
    );
    return 2;
  }
  return 0;
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
  return { signal: ctl.signal, dispose: () => handlers.forEach(([s, h]) => process.off(s, h)) };
}

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
    .action(async (opts: FuzzFlags) => {
      const stop = stopOnSignals(io);
      try {
        setCode(await runFuzz(opts, io, { signal: stop.signal }));
      } finally {
        stop.dispose();
      }
    });
}
