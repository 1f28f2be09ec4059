/**
 * `node --import tsx mutation/gridCheck.ts --grid attention|decode --suite S --kernel K --runs N [--backend B]`:
 * the grid's counterpart of `attnfuzz check --suite S --kernel K --runs N`. It runs the first N
 * cases of the fixed grid (grid.ts) through the library's `checkCase`, the check every attnfuzz
 * command makes, and stops at the first failure.
 *
 * Prints one JSON line: { status: 'clean' | 'failed' | 'nothing-checked', cases, unsupported,
 * casesToKill?, verdict?, case? }. Exit 0 clean, 1 a failure, 2 usage error or nothing checked, as
 * `attnfuzz check`; a crash exits non-zero too (and counts as a kill, as Stryker counts it).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BackendName, backendFromEnv, parseBackend, prepareBackends, useBackend } from '../src/backend/index.js';
import { checkCase, isFailure, resolveKernel, summarizeVerdict } from '../src/index.js';
import type { SuiteName } from '../src/runner/index.js';
import { type GridKind, gridCases } from './grid.js';

export interface GridCheckFlags {
  readonly grid: GridKind;
  readonly suite: SuiteName;
  readonly kernel: string;
  readonly runs: number;
  readonly backend: BackendName;
}

export interface GridCheckResult {
  readonly status: 'clean' | 'failed' | 'nothing-checked';
  readonly cases: number;
  readonly unsupported: number;
  /** 1-based index of the failing case. */
  readonly casesToKill?: number;
  readonly verdict?: string;
  readonly case?: unknown;
}

export async function runGridCheck(flags: GridCheckFlags): Promise<GridCheckResult> {
  await useBackend(flags.backend);
  await prepareBackends([flags.backend]);
  const kernel = await resolveKernel(flags.kernel, flags.suite);
  let unsupported = 0;
  const cases = gridCases(flags.grid, flags.runs);
  for (const [i, c] of cases.entries()) {
    const r = await checkCase(c, kernel);
    if (r.verdict.status === 'unsupported') unsupported++;
    if (isFailure(r.verdict)) {
      const verdict = summarizeVerdict(r.verdict);
      return { status: 'failed', cases: i + 1, unsupported, casesToKill: i + 1, verdict, case: c };
    }
  }
  return { status: unsupported === cases.length ? 'nothing-checked' : 'clean', cases: cases.length, unsupported };
}

export function parseGridFlags(argv: readonly string[]): GridCheckFlags {
  const get = (name: string, fallback?: string): string => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? argv[i + 1] : fallback;
    if (v === undefined) throw new Error(`gridCheck: --${name}: required`);
    return v;
  };
  const grid = get('grid');
  if (grid !== 'attention' && grid !== 'decode') throw new Error(`gridCheck: --grid: attention or decode, got ${grid}`);
  const runs = Number(get('runs'));
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`gridCheck: --runs: a positive integer, got ${get('runs')}`);
  const backend = parseBackend(get('backend', backendFromEnv()), 'gridCheck: --backend');
  return { grid, suite: get('suite') as SuiteName, kernel: get('kernel'), runs, backend };
}

async function main(): Promise<void> {
  let flags: GridCheckFlags;
  try {
    flags = parseGridFlags(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const result = await runGridCheck(flags);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.status === 'clean' ? 0 : result.status === 'failed' ? 1 : 2;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main();
