/**
 * Replaying a saved training failure (training.ts): re-make the case from its seed, run the kernel
 * as the attention of the tiny decoder through the same tensor-by-tensor check that
 * `attnfuzz check --suite training` uses, and compare with what the file expects. The statuses
 * mean what they mean for attention files (replay.ts): 'ok', 'failing', 'now-passes', and
 * 'invalid' for a file that cannot be read or run, reported by name and never deleted.
 *
 * `reproduces` says whether today's failing tensor lines are the saved summary, line for line
 * (the run is deterministic on one backend).
 */
import { loadKernelModule } from '../runner/index.js';
import { formatTrainingReport, runTrainingCheckCase, type TrainingReport } from '../training/index.js';
import type { AttentionImplementation } from '../../kernels/model/index.js';
import { parseSavedTrainingFailure, trainingSummary, type SavedTrainingFailure } from './training.js';

export interface TrainingReplayOutcome {
  readonly status: 'ok' | 'failing' | 'now-passes';
  readonly kind: 'training';
  readonly file: string;
  readonly saved: SavedTrainingFailure;
  /** The kernel as reports name it: the built-in name or the module path. */
  readonly kernel: string;
  readonly report: TrainingReport;
  /** Today's failing tensor lines (as `summary` is saved). */
  readonly summary: readonly string[];
  readonly reproduces: boolean;
}

export type TrainingReplayResult = TrainingReplayOutcome | { readonly status: 'invalid'; readonly file: string; readonly message: string };

const firstLine = (e: unknown) => ((e as Error).message ?? String(e)).split('\n')[0]!;

/** Replays one parsed training file (on the active backend). Never throws: a bad file is 'invalid'. */
export async function replayTrainingFailure(file: string, value: unknown, cwd = process.cwd()): Promise<TrainingReplayResult> {
  let saved: SavedTrainingFailure;
  let impl: AttentionImplementation;
  try {
    saved = parseSavedTrainingFailure(value, file);
    impl = 'builtin' in saved.kernel ? saved.kernel.builtin : await loadKernelModule(saved.kernel.module, cwd, `${file}: kernel.module`);
  } catch (e) {
    return { status: 'invalid', file, message: firstLine(e) };
  }
  const kernel = 'builtin' in saved.kernel ? saved.kernel.builtin : saved.kernel.module;
  let report: TrainingReport;
  try {
    // A kernel that throws is a failing report, not an exception; this catches the harness failing.
    report = runTrainingCheckCase(saved.case, impl);
  } catch (e) {
    return { status: 'invalid', file, message: `${file}: case cannot be run: ${firstLine(e)}` };
  }
  const summary = trainingSummary(report);
  const reproduces = summary.length === saved.summary.length && summary.every((l, n) => l === saved.summary[n]);
  const status = saved.expect === 'pass' ? (report.ok ? 'ok' : 'failing') : report.ok ? 'now-passes' : 'ok';
  return { status, kind: 'training', file, saved, kernel, report, summary, reproduces };
}

/** One line per outcome, as formatReplay's for attention files. */
export function formatTrainingReplay(o: TrainingReplayOutcome): string {
  const now = o.summary[0] ?? 'no failing tensor';
  const same = o.reproduces ? 'reproduces the saved report' : `saved report began: ${o.saved.summary[0] ?? '(nothing failing)'}`;
  switch (o.status) {
    case 'ok':
      return o.saved.expect === 'pass'
        ? `ok   ${o.file}: training: ${o.kernel} now passes (regression test)`
        : `ok   ${o.file}: training: ${o.kernel} still fails as expected (${o.saved.reason}): ${now}; ${same}`;
    case 'failing':
      return `FAIL ${o.file}: training: ${o.kernel} fails: ${now}; ${same}`;
    case 'now-passes':
      return `NOW PASSES ${o.file}: training: ${o.kernel} passes a case marked expect "fail" (${o.saved.reason}): the known failure is gone; remove the mark or the file`;
  }
}

/** The full tensor-by-tensor report of a replay, indented under its outcome line. */
export function trainingReplayReport(o: TrainingReplayOutcome): string[] {
  return formatTrainingReport(o.report).map((l) => `  ${l}`);
}
