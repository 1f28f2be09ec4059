/**
 * `attnfuzz check --kernel <name | module> [--suite attention|lora|training|decode] [--backend B |
 *  --backends a,b] [--time S] [--runs N] [--seed S] [--corpus DIR] [--json]
 *  [--precision float32|bfloat16|float16] [--profile default|deep|nightly] [--junk finite|nan|none]
 *  [--forward-only]`
 *
 * --precision pins the dtype of the cases of any suite (default: every precision is drawn).
 * --profile shapes attention and decode cases: their sizes (deep: decode-shaped attention against
 * caches up to 4096 keys; decode cases against caches up to 1024 keys, pages up to 64). The last
 * two shape attention cases only: --junk what is written at keys no query may see (NaN only for a kernel that never
 * reads them: the default when it declares so), --forward-only checks a kernel without a backward
 * (as declaring `backward: false`); the summary line says which passes ran.
 *
 * Searches for a case where the kernel disagrees with the float64 reference (src/runner `search`),
 * and on a failure prints the shrunk repro first, then saves it to <corpus>/<hash>.json with its
 * heatmap. Exit 0: cases were checked and none failed; 1: a failure (even if saving it failed:
 * the repro printed is complete); 2: usage or load error, or nothing was checked.
 */
import { type Command, Option } from 'commander';
import { type BackendName, prepareBackends, tf, useBackend } from '../../backend/index.js';
import type { SizeProfile } from '../../case/index.js';
import type { Precision } from '../../contract/index.js';
import { ensureCorpusFolder, REGRESSIONS_DIR, type SavedPaths, saveCase, savedCaseOf } from '../../corpus/index.js';
import { formatRepro, heatmapOf } from '../../report/index.js';
import {
  forwardOnly,
  type KernelUnderTest,
  resolveKernel,
  type SearchResult,
  SUITES,
  type SuiteName,
  search,
} from '../../runner/index.js';
import { durationSeconds } from '../duration.js';
import type { Io } from '../io.js';
import {
  backendOf,
  backendOption,
  backendsOption,
  forwardOnlyOption,
  type JunkLevel,
  jsonOption,
  junkOption,
  precisionOption,
  profileOption,
  runsOption,
  seedOption,
  suiteConstraintsOf,
  timeBudgetMs,
  timeOption,
  withPrecision,
} from '../options.js';
import { progressDisplay } from '../progress.js';
import { startWatchdog } from '../watchdog.js';

export interface CheckFlags {
  readonly kernel: string;
  readonly suite: SuiteName;
  readonly backend?: BackendName;
  readonly backends?: readonly BackendName[];
  readonly time?: number;
  readonly runs?: number;
  readonly seed?: number;
  /** Seconds a case may take before check ends itself saying so (watchdog.ts); absent: no limit. */
  readonly timeout?: number;
  readonly corpus: string;
  readonly json?: boolean;
  readonly precision?: Precision;
  readonly profile?: SizeProfile;
  readonly junk?: JunkLevel;
  readonly forwardOnly?: boolean;
}

/** A usage or load error: one line on stderr, exit 2. */
class CheckError extends Error {}

async function prepare(flags: CheckFlags): Promise<{ kernel: KernelUnderTest; backends: BackendName[] }> {
  const attentionOnly = [flags.junk !== undefined ? '--junk' : '', flags.forwardOnly ? '--forward-only' : ''].filter(
    Boolean,
  );
  if (flags.suite !== 'attention' && attentionOnly.length > 0)
    throw new CheckError(`check: ${attentionOnly[0]}: applies to the attention suite only, got --suite ${flags.suite}`);
  if ((flags.profile ?? 'default') !== 'default' && flags.suite !== 'attention' && flags.suite !== 'decode')
    throw new CheckError(
      `check: --profile: applies to the attention and decode suites only, got --suite ${flags.suite}`,
    );
  let backends: BackendName[];
  try {
    backends = flags.backends ? [...flags.backends] : [backendOf(flags.backend)];
  } catch (e) {
    throw new CheckError(`check: ${(e as Error).message.split('\n')[0]}`);
  }
  const flag = flags.backends ? '--backends' : '--backend';
  for (const b of backends) {
    try {
      await useBackend(b);
    } catch (e) {
      throw new CheckError(`check: ${flag} ${b}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  await prepareBackends(backends);
  await useBackend(backends[0]!);
  try {
    ensureCorpusFolder(flags.corpus);
  } catch (e) {
    throw new CheckError(
      `check: --corpus ${flags.corpus}: cannot save cases there: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  try {
    const kernel = await resolveKernel(flags.kernel, flags.suite);
    return { kernel: flags.forwardOnly ? forwardOnly(kernel) : kernel, backends };
  } catch (e) {
    const line = (e as Error).message.split('\n')[0]!;
    throw new CheckError(line.startsWith('check:') ? line : `check: ${line}`);
  }
}

function searchCommand(flags: CheckFlags, seed: number): string {
  const parts = [
    'attnfuzz check',
    flags.suite !== 'attention' ? `--suite ${flags.suite}` : '',
    `--kernel ${flags.kernel}`,
  ];
  parts.push(flags.backends ? `--backends ${flags.backends.join(',')}` : '', `--seed ${seed}`);
  if (flags.runs !== undefined) parts.push(`--runs ${flags.runs}`);
  if (flags.time !== undefined) parts.push(`--time ${flags.time}`);
  if (flags.precision !== undefined) parts.push(`--precision ${flags.precision}`);
  if ((flags.profile ?? 'default') !== 'default') parts.push(`--profile ${flags.profile}`);
  if (flags.junk !== undefined) parts.push(`--junk ${flags.junk}`);
  if (flags.forwardOnly) parts.push('--forward-only');
  return parts.filter(Boolean).join(' ');
}

export async function runCheck(flags: CheckFlags, io: Io): Promise<number> {
  let kernel: KernelUnderTest;
  let backends: BackendName[];
  try {
    ({ kernel, backends } = await prepare(flags));
  } catch (e) {
    if (!(e instanceof CheckError)) throw e;
    io.err(`${e.message}\n`);
    return 2;
  }
  const seed = flags.seed ?? Date.now() % 0x7fffffff;
  const timeMs = timeBudgetMs(flags);
  const where = backends.join(' vs ');
  const budget = [
    timeMs !== undefined ? `${timeMs / 1000} s` : '',
    flags.runs !== undefined ? `${flags.runs} cases` : '',
  ]
    .filter(Boolean)
    .join(' or ');
  // Which passes run: the backward unless the kernel has none (declared, or --forward-only).
  const passes =
    flags.suite === 'decode' || (flags.suite === 'attention' && kernel.attention?.().backward === false)
      ? 'forward only'
      : 'forward and backward';
  const dtype = flags.precision !== undefined ? `, ${flags.precision}` : '';
  io.err(
    `check: ${kernel.label} (${flags.suite} suite, ${passes}${dtype}) on ${where}, seed ${seed}, budget ${budget}\n`,
  );
  const progress = progressDisplay(`${kernel.label} on ${where}`, { timeMs, numRuns: flags.runs }, io);
  const watchdog = flags.timeout
    ? startWatchdog(flags.timeout * 1000, 'check', `the same search: ${searchCommand(flags, seed)}`)
    : null;
  let declined: string | null = null;
  // Tensors a kernel leaves alive grow with every case (fuzz signs them as LEAK findings and shrinks them).
  const tensorsBefore = tf.memory().numTensors;
  const result: SearchResult = await search({
    ...(watchdog ? { onCaseStart: (c: unknown) => watchdog.beat(JSON.stringify(c)) } : {}),
    suite: flags.suite,
    kernel,
    backends,
    seed,
    constraints: withPrecision(suiteConstraintsOf(flags.suite, flags), flags.precision),
    numRuns: flags.runs,
    timeMs,
    onProgress: progress.onProgress,
    progressMs: progress.progressMs,
    onCase: (c) => {
      if (declined === null && c.verdict.status === 'unsupported') declined = c.verdict.reason;
    },
  });
  watchdog?.stop();
  progress.stop();
  const rate = (result.cases * 1000) / Math.max(1, result.elapsedMs);
  const stats = {
    kernel: kernel.label,
    suite: flags.suite,
    passes,
    ...(flags.precision !== undefined ? { precision: flags.precision } : {}),
    backends,
    seed: result.seed,
    cases: result.cases,
    unsupported: result.unsupported,
    elapsedMs: Math.round(result.elapsedMs),
    casesPerSecond: rate,
  };
  if (result.status === 'clean') {
    if (result.cases === result.unsupported) {
      const why =
        result.cases === 0
          ? `no case ran within the budget (${budget})`
          : `all ${result.cases} cases were declined by the kernel's supports (first reason: ${declined})`;
      io.err(`check: nothing was checked: ${why}\n`);
      if (flags.json) io.out(JSON.stringify({ ...stats, status: 'nothing-checked', reason: why }) + '\n');
      return 2;
    }
    const leaked = tf.memory().numTensors - tensorsBefore;
    if (leaked > 0) {
      io.err(
        `check: warning: ${leaked} tensors were left alive over ${result.cases} cases: the kernel keeps ` +
          `tensors it does not dispose (tf.keep, a tensor made in tf.customGrad and not saved); \`attnfuzz ` +
          `fuzz --kernels ${flags.kernel} --suites ${flags.suite}\` shrinks it to the smallest leaking case\n`,
      );
    }
    const line =
      `${kernel.label} (${flags.suite}, ${passes}${dtype}) on ${where}: no failure in ` +
      `${result.cases} cases (${result.unsupported} unsupported) in ${(result.elapsedMs / 1000).toFixed(1)} ` +
      `s, ${rate.toFixed(1)} cases/s, seed ${result.seed}`;
    io.out(
      flags.json
        ? JSON.stringify({ ...stats, status: 'clean', leakedTensors: Math.max(0, leaked) }) + '\n'
        : `${line}\n`,
    );
    return 0;
  }
  const repro = {
    check: result.shrunk,
    seed: result.seed,
    path: result.path,
    cases: result.cases,
    numShrinks: result.numShrinks,
    simplified: result.simplified,
    searchCommand: searchCommand(flags, result.seed),
  };
  // The repro first: a failure found is never lost to a folder that cannot be written.
  if (!flags.json) {
    // The verdict's lines end with `why: <cause>` when the run stage found out (a NaN from reading keys no query may
    // see).
    io.out(formatRepro({ ...repro, saved: null }).join('\n') + '\n');
  }
  const svg = heatmapOf(result.shrunk);
  let saved: SavedPaths | null = null;
  try {
    saved = saveCase(
      savedCaseOf(result.shrunk, kernel.ref, { seed: result.seed, path: result.path, backends }),
      flags.corpus,
      svg,
    );
  } catch (e) {
    io.err(
      `check: --corpus ${flags.corpus}: could not save the case (${(e as Error).message.split('\n')[0]}); the ` +
        `repro above is complete\n`,
    );
  }
  if (flags.json) {
    io.out(
      JSON.stringify({
        ...stats,
        status: 'failed',
        path: result.path,
        numShrinks: result.numShrinks,
        simplified: result.simplified,
        case: result.shrunk.case,
        verdict: result.shrunk.verdict,
        saved: saved?.json ?? null,
        heatmap: saved && svg !== undefined ? saved.svg : null,
      }) + '\n',
    );
  } else if (saved) {
    const lines = [];
    if (svg !== undefined && !saved.existed) lines.push(`heatmap: ${saved.svg}`);
    lines.push(
      `${saved.existed ? 'already saved (left as it was)' : 'saved'}: ${saved.json}`,
      `replay: npx attnfuzz replay ${saved.json}`,
    );
    io.out(lines.join('\n') + '\n');
  }
  return 1;
}

export function register(program: Command, io: Io, setCode: (c: number) => void): void {
  program
    .command('check')
    .description('search for a case where a kernel disagrees with the float64 reference; shrink, print and save it')
    .requiredOption(
      '--kernel <name|module>',
      'a built-in (eager, sdpa, flash; lora, lora-merged for --suite lora; flash for --suite decode) or a ' +
        'module whose default export is the kernel',
    )
    .addOption(
      new Option(
        '--suite <name>',
        'attention: the kernel alone; lora: a LoRA linear kernel; training: the kernel as the attention of a ' +
          'tiny LoRA-trained decoder; decode: KV-cache decode (contiguous or paged cache, cacheSeqlens)',
      )
        .choices(SUITES)
        .default('attention'),
    )
    .addOption(timeOption())
    .addOption(runsOption())
    .addOption(seedOption())
    .addOption(
      new Option('--timeout <seconds>', 'per case: a case still running after this ends check, printing the case')
        .argParser(durationSeconds)
        .default(60),
    )
    .addOption(backendOption())
    .addOption(backendsOption())
    .addOption(new Option('--corpus <dir>', 'where failures are saved').default(REGRESSIONS_DIR))
    .addOption(precisionOption())
    .addOption(profileOption())
    .addOption(junkOption())
    .addOption(forwardOnlyOption())
    .addOption(jsonOption())
    .action(async (opts: CheckFlags) => setCode(await runCheck(opts, io)));
}
