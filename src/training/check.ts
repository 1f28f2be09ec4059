/**
 * `attnfuzz check --suite training`: random training cases (arbitrary.ts) through the tiny decoder
 * with the kernel under test as its attention, compared with the float64 reference and with eager
 * (run.ts), until a failure or the end of the budget. A failure is shrunk by fast-check toward
 * one unpadded sequence, one layer, one step, and reported tensor by tensor.
 *
 * The kernel is a built-in name (its transformers-style dispatch path: 'sdpa' passes is_causal
 * when nothing is padded, 'flash' unpads to varlen, ...), an AttentionKernel object, or a module
 * path whose default export is one (dispatched like sdpa: no mask + causal 'top-left' when the
 * batch is unpadded, else a boolean mask).
 */
import fc from 'fast-check';
import { useBackend, type BackendName } from '../backend/index.js';
import type { AttentionKernel } from '../kernel/index.js';
import { loadKernelModule } from '../runner/index.js';
import { implementationName, type AttentionImplementation } from '../../kernels/model/index.js';
import { trainingCase, type TrainingCaseConstraints } from './arbitrary.js';
import type { TrainingCase } from './case.js';
import { formatCheck } from './compare.js';
import { checkTrainingCase, type TrainingReport } from './run.js';

export interface TrainingCheckOptions {
  /** 'eager' | 'sdpa' | 'flash', a module path, or a kernel object. */
  readonly kernel: string | AttentionKernel;
  /** fast-check seed; the same seed gives the same cases and the same shrink. Default from the clock (reported). */
  readonly seed?: number;
  /** Most cases to run (default 100). */
  readonly runs?: number;
  /** Budget in seconds (default 60); the search stops at whichever of runs or time comes first. */
  readonly time?: number;
  /** Extra seconds to finish shrinking when the budget ran out mid-shrink (default 30). */
  readonly shrinkTime?: number;
  readonly backend?: BackendName;
  readonly constraints?: TrainingCaseConstraints;
  /** Called after each case with the number of cases run so far. */
  readonly onProgress?: (cases: number) => void;
}

export type TrainingCheckResult =
  | { readonly status: 'pass'; readonly kernel: string; readonly seed: number; readonly cases: number; readonly interrupted: boolean; readonly lines: readonly string[] }
  | {
      readonly status: 'fail';
      readonly kernel: string;
      readonly seed: number;
      readonly cases: number;
      /** The shrunk case and its full report. */
      readonly case: TrainingCase;
      readonly report: TrainingReport;
      readonly shrinks: number;
      readonly replay: string;
      readonly lines: readonly string[];
    };

/** The report as lines: a `# title` per section, then one line per tensor. */
export function formatTrainingReport(report: TrainingReport): string[] {
  return report.sections.flatMap((s) => [`# ${s.title}`, ...s.checks.map(formatCheck)]);
}

const BUILTIN = ['eager', 'sdpa', 'flash'] as const;

async function resolve(kernel: string | AttentionKernel): Promise<AttentionImplementation> {
  if (typeof kernel !== 'string') return kernel;
  if ((BUILTIN as readonly string[]).includes(kernel)) return kernel as (typeof BUILTIN)[number];
  return loadKernelModule(kernel);
}

/** Runs one case for one implementation and returns its report (replay of a saved case). */
export function runTrainingCheckCase(c: TrainingCase, impl: AttentionImplementation): TrainingReport {
  return checkTrainingCase(c, [impl])[0]!;
}

export async function checkTraining(options: TrainingCheckOptions): Promise<TrainingCheckResult> {
  const { seed = Date.now() % 0x7fffffff, runs = 100, time = 60, shrinkTime = 30, backend = 'cpu', constraints, onProgress } = options;
  await useBackend(backend);
  const impl = await resolve(options.kernel);
  const name = typeof options.kernel === 'string' ? options.kernel : implementationName(impl);
  let cases = 0;
  const t0 = performance.now();
  const property = fc.property(trainingCase(constraints), (c) => {
    cases++;
    onProgress?.(cases);
    return runTrainingCheckCase(c, impl).ok;
  });
  let details = fc.check(property, { seed, numRuns: runs, interruptAfterTimeLimit: time * 1000, markInterruptAsFailure: false });
  if (details.failed && details.interrupted && details.counterexamplePath !== null) {
    // The budget ran out while shrinking: resume from the replay path with a budget of its own.
    const shrinks = details.numShrinks;
    details = fc.check(property, { seed, path: details.counterexamplePath, interruptAfterTimeLimit: shrinkTime * 1000, markInterruptAsFailure: false });
    details = { ...details, numShrinks: details.numShrinks + shrinks };
  }
  if (!details.failed || details.counterexample === null) {
    return { status: 'pass', kernel: name, seed, cases, interrupted: details.interrupted, lines: [`training: ${name}: no failure in ${cases} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s (seed ${seed})`] };
  }
  const c = details.counterexample[0];
  const report = runTrainingCheckCase(c, impl);
  const replay = `npx attnfuzz check --suite training --kernel ${name} --seed ${seed} --runs ${runs}`;
  const lines = [
    `training: ${name}: FAIL after ${cases} cases (seed ${seed}), shrunk ${details.numShrinks} times to:`,
    JSON.stringify(c),
    ...formatTrainingReport(report),
    `replay: ${replay}`,
  ];
  return { status: 'fail', kernel: name, seed, cases, case: c, report, shrinks: details.numShrinks, replay, lines };
}
