/**
 * What the campaign (main thread) and its workers say to each other. Everything is plain data
 * (structured clone): cases, verdicts, saved cases, SVG text. A worker runs one job at a time, in
 * the order it received them, and answers each with one message.
 *
 *   main -> worker   { type: 'run', i }                 check case i of the stream (stream.ts)
 *                    { type: 'shrink', i, budgetMs, raw } shrink a failure whose signature is new
 *   worker -> main   { type: 'ready' } | { type: 'setup-failed', message }   once, after setup
 *                    { type: 'ran', report }            one per 'run'
 *                    { type: 'shrunk', report }         one per 'shrink'
 */
import type { AnyBackend } from '../backend/index.js';
import type { Finding, SavedCase, Signature } from '../corpus/index.js';
import { deviceFor } from '../execute/index.js';
import type { AnyCase, PageOptions, ResolveOptions } from '../runner/index.js';
import type { Target } from './stream.js';

/** Everything a worker needs to run any case of the campaign (workerData). */
export interface WorkerSetup {
  readonly targets: readonly Target[];
  readonly seed: number;
  readonly backend: AnyBackend;
  /** A page backend: how each worker opens its pages (one per kernel, reused for every case). */
  readonly pages?: PageOptions;
  /** Module kernels are resolved from here. */
  readonly cwd: string;
  /** What targets (torch:*, py:, exec:) get from the command line: --device ('cuda:{i}': per worker), --python. */
  readonly targetOptions?: ResolveOptions;
  /** This worker's index among the campaign's (its `{i}` in --device). */
  readonly worker?: number;
}

/** The target options of one worker: `--device cuda:{i}` made its own GPU. */
export function targetOptionsOf(setup: WorkerSetup): ResolveOptions {
  const o = setup.targetOptions ?? {};
  return o.device === undefined ? o : { ...o, device: deviceFor(o.device, setup.worker ?? 0) };
}

/** A failure as first seen: the case as generated, what went wrong, its (raw) signature. */
export interface RawFailure {
  readonly case: AnyCase;
  readonly finding: Finding;
  /** The verdict's one line (`dq MISMATCH ...`, `LEAK 1 tensor per call`). */
  readonly summary: string;
  readonly signature: Signature;
}

export type Job =
  | { readonly type: 'run'; readonly i: number }
  | { readonly type: 'shrink'; readonly i: number; readonly budgetMs: number; readonly raw: RawFailure };

export interface CaseReport {
  readonly i: number;
  readonly target: number;
  /** Wall time of the case in the worker (generate, check, leak count). */
  readonly ms: number;
  readonly outcome: 'pass' | 'unsupported' | 'failed';
  /** `axis=bucket` of the case drawn (coverage.ts). */
  readonly coverage: readonly string[];
  readonly failure?: RawFailure;
}

export interface ShrinkReport {
  readonly i: number;
  readonly target: number;
  readonly ms: number;
  /** The failure after shrinking and a re-run; 'nondeterministic' when the re-runs disagree. */
  readonly signature: Signature;
  readonly summary: string;
  readonly saved: SavedCase;
  readonly svg?: string;
  /** The repro as `check` prints it, and the verdict's lines. */
  readonly repro: readonly string[];
  readonly verdict: readonly string[];
  /** Structural steps after fast-check's shrinking. */
  readonly steps: readonly string[];
}

export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'setup-failed'; readonly message: string }
  | { readonly type: 'ran'; readonly report: CaseReport }
  | { readonly type: 'shrunk'; readonly report: ShrinkReport };
