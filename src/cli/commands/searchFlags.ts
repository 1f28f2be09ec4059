/**
 * The flags every search command shares (`--time`, `--runs`, `--seed`) and its progress line:
 * one parser and one reporter for `check`, `check --backends` and `check --suite training`.
 */
import type { SearchProgress } from '../../runner/index.js';

/** A usage error: printed as one line, exit code 2. */
export class UsageError extends Error {}

function number(where: string, flag: string, v: string | undefined, rule: (n: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!rule(n)) throw new UsageError(`${where}: ${flag} must be ${what}, got '${v}'`);
  return n;
}

export interface BudgetFlags {
  readonly seed: number | undefined;
  readonly numRuns: number | undefined;
  /** Default 60 s, unless only --runs was given (then the runs decide). */
  readonly timeMs: number | undefined;
}

/** Reads --time, --runs and --seed; `where` starts every error ('check', 'check --suite training'). */
export function searchBudget(flags: { readonly time?: string; readonly runs?: string; readonly seed?: string }, where: string): BudgetFlags {
  const timeS = number(where, '--time', flags.time, (n) => Number.isFinite(n) && n > 0, 'a positive number');
  const numRuns = number(where, '--runs', flags.runs, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
  const seed = number(where, '--seed', flags.seed, Number.isInteger, 'an integer');
  const timeMs = timeS !== undefined ? timeS * 1000 : numRuns === undefined ? 60_000 : undefined;
  return { seed, numRuns, timeMs };
}

/**
 * A progress reporter: on a terminal, one line rewritten in place; otherwise (CI logs, pipes) a
 * plain line every 10 s.
 */
export function progressReporter(label: string, io: { err(s: string): void; readonly errIsTTY: boolean }): { onProgress: (p: SearchProgress) => void; progressMs: number } {
  let lastPlain = 0;
  const onProgress = (p: SearchProgress) => {
    const line = `${label}: ${p.phase === 'shrink' ? 'shrinking, ' : ''}${p.cases} cases, ${p.casesPerSecond.toFixed(1)} cases/s, ${p.unsupported} unsupported, ${(p.elapsedMs / 1000).toFixed(0)} s`;
    if (io.errIsTTY) io.err(`\r${line}\x1b[K`);
    else if (p.elapsedMs - lastPlain >= 10_000) {
      lastPlain = p.elapsedMs;
      io.err(`${line}\n`);
    }
  };
  return { onProgress, progressMs: io.errIsTTY ? 250 : 1000 };
}
