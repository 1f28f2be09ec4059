/**
 * The `--suite training` branch of `attnfuzz check`: flags in, text or JSON out, exit code back
 * (0 no failure within the budget, 1 a failure, 2 usage or load error, one line).
 *
 * A failure is saved like an attention failure: `--corpus` (default corpus/regressions)/<hash>.json,
 * kind "training", expect "pass" (a regression test until the kernel is fixed), written atomically;
 * the output says where and how to replay it.
 */
import { parseBackend, type BackendName } from '../../backend/index.js';
import { REGRESSIONS_DIR, saveTrainingFailure, trainingSummary } from '../../corpus/index.js';
import { isBuiltinKernel, type KernelRef } from '../../runner/index.js';
import { checkTraining } from '../../training/index.js';
import { searchBudget } from './searchFlags.js';

export interface TrainingCommandFlags {
  readonly kernel?: string;
  readonly time?: string;
  readonly runs?: string;
  readonly seed?: string;
  readonly backend?: string;
  /** Folder of saved failures (default corpus/regressions). */
  readonly corpus?: string;
  readonly json?: boolean;
}

export interface TrainingCommandIo {
  out(s: string): void;
  err(s: string): void;
}

export async function runTrainingCheckCommand(flags: TrainingCommandFlags, io: TrainingCommandIo): Promise<number> {
  let options: Parameters<typeof checkTraining>[0];
  try {
    if (!flags.kernel) throw new Error('check --suite training: --kernel is required: a module path or one of eager, sdpa, flash');
    const { seed, numRuns, timeMs } = searchBudget(flags, 'check --suite training');
    const backend: BackendName = parseBackend(flags.backend ?? (process.env.ATTNFUZZ_BACKEND || undefined), '--backend');
    options = { kernel: flags.kernel, seed, runs: numRuns ?? 1_000_000, time: timeMs !== undefined ? timeMs / 1000 : 1e9, backend };
    const t0 = performance.now();
    let last = 0;
    const onProgress = (cases: number) => {
      const ms = performance.now() - t0;
      if (ms - last < 10_000) return;
      last = ms;
      io.err(`training: ${flags.kernel}: ${cases} cases, ${((cases * 1000) / ms).toFixed(1)} cases/s, ${(ms / 1000).toFixed(0)} s\n`);
    };
    options = { ...options, onProgress };
  } catch (e) {
    io.err(`${(e as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  let result;
  try {
    result = await checkTraining(options);
  } catch (e) {
    io.err(`check --suite training: ${(e as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  if (result.status === 'pass') {
    if (flags.json) {
      const { lines, ...rest } = result;
      io.out(JSON.stringify({ suite: 'training', ...rest, lines }) + '\n');
    } else io.out(result.lines.join('\n') + '\n');
    return 0;
  }
  const kernel: KernelRef = isBuiltinKernel(flags.kernel!) ? { builtin: flags.kernel } : { module: flags.kernel! };
  const dir = flags.corpus ?? REGRESSIONS_DIR;
  let saved: string | null = null;
  try {
    const summary = trainingSummary(result.report);
    saved = saveTrainingFailure({ case: result.case, kernel, expect: 'pass', summary, seed: result.seed, backend: options.backend ?? 'cpu' }, dir).json;
  } catch (e) {
    // The failure is still printed (and the exit code says so); only the file is missing.
    io.err(`check --suite training: --corpus ${dir}: cannot save the failure: ${(e as Error).message.split('\n')[0]}\n`);
  }
  // The saved file is the replay; the search command (same seed, same cases) follows it.
  const lines = result.lines.filter((l) => l !== `replay: ${result.replay}`);
  if (saved !== null) lines.push(`saved: ${saved}`, `replay: npx attnfuzz replay ${saved}`);
  lines.push(`search: ${result.replay}  (same seed: the same cases and the same shrink)`);
  if (flags.json) {
    const { lines: _, ...rest } = result;
    io.out(JSON.stringify({ suite: 'training', ...rest, saved, lines }) + '\n');
  } else io.out(lines.join('\n') + '\n');
  return 1;
}
