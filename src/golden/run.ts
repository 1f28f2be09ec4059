/**
 * `attnfuzz golden` as a function: select the implementations and the backend, load every file
 * (all of them, before running anything, so bad input is reported as such and not as a kernel
 * failure), check, report. Exit codes: 0 every tensor passed, 1 something failed or threw,
 * 2 bad input (a file, a flag, a backend), with one line on stderr naming the file or flag.
 */
import { backendFromEnv, BackendUnavailableError, parseBackend, useBackend } from '../backend/index.js';
import { allPassed, checkGoldens } from './check.js';
import { GoldenError, type Golden } from './format.js';
import { GOLDEN_KERNEL_NAMES, goldenRunners, type GoldenRunner } from './kernels.js';
import { findGoldenFiles, loadGolden } from './load.js';
import { goldenJson, goldenText } from './report.js';

export interface GoldenCommandOptions {
  /** Comma-separated names (`--kernels`); default every implementation available. */
  readonly kernels?: string;
  /** `--backend`; default ATTNFUZZ_BACKEND, else cpu. */
  readonly backend?: string;
  readonly json?: boolean;
  /** The implementations to choose from; default `goldenRunners()` (tests pass stand-ins). */
  readonly runners?: readonly GoldenRunner[];
}

export interface GoldenIO {
  out(text: string): void;
  err(text: string): void;
}

/** A flag that cannot be honoured; the message is one line starting with `golden: --flag:`. */
export class GoldenUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoldenUsageError';
  }
}

/** The runners named by `--kernels` (all available when absent). */
export function selectRunners(kernels: string | undefined, available: readonly GoldenRunner[]): GoldenRunner[] {
  if (kernels === undefined) return [...available];
  const names = kernels.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new GoldenUsageError(`golden: --kernels: empty list; expected some of ${GOLDEN_KERNEL_NAMES.join(', ')}`);
  for (const n of names) {
    if (!(GOLDEN_KERNEL_NAMES as readonly string[]).includes(n)) {
      throw new GoldenUsageError(`golden: --kernels: unknown kernel '${n}'; expected some of ${GOLDEN_KERNEL_NAMES.join(', ')}`);
    }
    if (!available.some((r) => r.name === n)) {
      const have = [...new Set(available.map((r) => r.name))].join(', ');
      throw new GoldenUsageError(`golden: --kernels: kernel '${n}' is not in this build's registry (kernels/index.ts); available: ${have}`);
    }
  }
  return available.filter((r) => names.includes(r.name));
}

/** Loads every golden file under `paths` (files, or folders searched recursively for *.json). */
export function loadGoldens(paths: readonly string[]): Golden[] {
  const files = findGoldenFiles(paths);
  if (files.length === 0) throw new GoldenError(paths.join(', '), null, 'no *.json files found');
  return files.map(loadGolden);
}

export async function runGoldenCommand(paths: readonly string[], opts: GoldenCommandOptions, io: GoldenIO): Promise<number> {
  let goldens: Golden[];
  let runners: GoldenRunner[];
  try {
    runners = selectRunners(opts.kernels, opts.runners ?? goldenRunners());
    const backend = opts.backend !== undefined ? parseBackend(opts.backend, 'golden: --backend') : backendFromEnv();
    goldens = loadGoldens(paths);
    await useBackend(backend);
  } catch (e) {
    if (e instanceof GoldenError || e instanceof GoldenUsageError || e instanceof BackendUnavailableError) {
      const line = e.message.split('\n')[0]!;
      io.err(`${line.startsWith('golden:') ? line : `golden: --backend: ${line}`}\n`);
      return 2;
    }
    throw e;
  }
  const outcomes = checkGoldens(goldens, runners);
  io.out(opts.json ? `${JSON.stringify(goldenJson(outcomes), null, 2)}\n` : goldenText(goldens, outcomes));
  return allPassed(outcomes) ? 0 : 1;
}
