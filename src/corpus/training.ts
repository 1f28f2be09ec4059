/**
 * Saved training failures: the `kind: "training"` files of corpus/regressions (format.ts describes
 * the attention kind and what `expect` means; it is the same here):
 *
 *   {
 *     "format": "attnfuzz-failure", "version": 1, "kind": "training",
 *     "case":    { ...TrainingCase },                 token ids and weights are re-made from its seed
 *     "kernel":  { "builtin": "sdpa" } | { "module": "examples/forgot-is-causal/kernel.ts" },
 *     "expect":  "pass" | "fail", "reason": "...",     reason required when expect is "fail"
 *     "summary": ["logits FAIL maxAbs=3.6e-1 allowed=5.7e-5 @[0,0,10]", ...],   the report's
 *                first failing tensor lines when the failure was found (at most SUMMARY_LINES)
 *     "seed": 1,                                       fast-check seed of the search, or null
 *     "backend": "cpu",
 *     "versions": { "attnfuzz": "0.1.0", "tfjs": "4.22.0" }
 *   }
 *
 * A built-in kernel is its transformers-style dispatch path in the model (src/training/check.ts),
 * a module is dispatched like sdpa; module paths are relative to the folder replay runs from.
 * The file name is a content hash of (kind, case, kernel), like an attention failure's.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { formatCheck, validateTrainingCase, type TrainingCase, type TrainingReport } from '../training/index.js';
import type { KernelRef } from '../runner/index.js';
import { canonicalJson, CorpusFileError, FAILURE_FORMAT, FAILURE_VERSION, parseExpectation, parseKernelRef, savedKind } from './format.js';
import { pathsFor, REGRESSIONS_DIR, versions, writeAtomic, type SavedPaths } from './save.js';

export const TRAINING_KIND = 'training';
/** How many failing tensor lines a file keeps: enough to recognise the failure, not the whole report. */
export const SUMMARY_LINES = 8;

export interface SavedTrainingFailure {
  readonly format: typeof FAILURE_FORMAT;
  readonly version: typeof FAILURE_VERSION;
  readonly kind: typeof TRAINING_KIND;
  readonly case: TrainingCase;
  readonly kernel: KernelRef;
  readonly expect: 'pass' | 'fail';
  readonly reason?: string;
  readonly summary: readonly string[];
  readonly seed: number | null;
  readonly backend: string;
  readonly versions: { readonly attnfuzz: string; readonly tfjs: string };
}

/** The report's failing tensor lines, in report order, at most SUMMARY_LINES. */
export function trainingSummary(report: TrainingReport): string[] {
  return report.sections
    .flatMap((s) => s.checks)
    .filter((c) => !c.ok)
    .slice(0, SUMMARY_LINES)
    .map(formatCheck);
}

/** The file name stem: 16 hex digits of sha256 over the kind, the case and the kernel. */
export function trainingFailureHash(c: TrainingCase, kernel: KernelRef): string {
  return createHash('sha256').update(canonicalJson({ kind: TRAINING_KIND, case: c, kernel })).digest('hex').slice(0, 16);
}

/** Validates a parsed training failure; `where` is the file name. */
export function parseSavedTrainingFailure(value: unknown, where: string): SavedTrainingFailure {
  if (savedKind(value, where) !== TRAINING_KIND) throw new CorpusFileError(`${where}: kind: expected "${TRAINING_KIND}", got ${JSON.stringify((value as { kind?: unknown }).kind)}`);
  const o = value as Record<string, unknown>;
  let c: TrainingCase;
  try {
    c = validateTrainingCase(o.case, `${where}: case`);
  } catch (e) {
    throw new CorpusFileError((e as Error).message.split('\n')[0]!);
  }
  const kernel = parseKernelRef(o.kernel, where);
  const expect = parseExpectation(o, where);
  if (!Array.isArray(o.summary) || !o.summary.every((l) => typeof l === 'string')) {
    throw new CorpusFileError(`${where}: summary: expected an array of report lines, got ${JSON.stringify(o.summary)?.slice(0, 60)}`);
  }
  const v = (o.versions ?? {}) as Record<string, unknown>;
  return {
    format: FAILURE_FORMAT,
    version: FAILURE_VERSION,
    kind: TRAINING_KIND,
    case: c,
    kernel,
    expect,
    ...(typeof o.reason === 'string' ? { reason: o.reason } : {}),
    summary: o.summary as string[],
    seed: typeof o.seed === 'number' ? o.seed : null,
    backend: typeof o.backend === 'string' ? o.backend : 'cpu',
    versions: { attnfuzz: String(v.attnfuzz ?? 'unknown'), tfjs: String(v.tfjs ?? 'unknown') },
  };
}

/** Saves a training failure as `<dir>/<hash>.json`, atomically (save.ts). */
export function saveTrainingFailure(
  failure: Omit<SavedTrainingFailure, 'format' | 'version' | 'kind' | 'versions'> & { versions?: SavedTrainingFailure['versions'] },
  dir: string = REGRESSIONS_DIR,
): SavedPaths {
  mkdirSync(dir, { recursive: true });
  const paths = pathsFor(dir, trainingFailureHash(failure.case, failure.kernel));
  const { case: c, kernel, expect, reason, summary, seed, backend } = failure;
  // Fields in reading order: what, then why, then where it came from.
  const record: SavedTrainingFailure = {
    format: FAILURE_FORMAT,
    version: FAILURE_VERSION,
    kind: TRAINING_KIND,
    case: c,
    kernel,
    expect,
    ...(reason !== undefined ? { reason } : {}),
    summary,
    seed,
    backend,
    versions: failure.versions ?? versions(),
  };
  writeAtomic(paths.json, JSON.stringify(record, null, 2) + '\n');
  return paths;
}
