/**
 * One mutant through one side of the comparison: `attnfuzz check` (the CLI a user runs, with a
 * fixed seed and case budget) or the fixed grid (gridCheck.ts, the same budget), for each check of
 * its target that reaches it, in order, until one fails. Stryker's rule for what counts: a failure,
 * a crash and a run past its limit all kill the mutant.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Finished, type Limits, spawnLimited } from './spawnLimited.js';
import { type CheckSpec, checkId } from './targets.js';

export type Side = 'attnfuzz' | 'grid';
/** killed, timeout and error kill the mutant; not-reached: no check of this side runs its code. */
export type Outcome = 'killed' | 'survived' | 'timeout' | 'error' | 'not-reached';

export interface Budget {
  readonly seed: number;
  readonly runs: number;
  /**
   * The tfjs backend both sides run on (wasm: the same JavaScript, tensor ops 7x faster than cpu on the
   * grid's cases).
   */
  readonly backend: 'cpu' | 'wasm';
}

export interface CheckRun {
  readonly check: string;
  readonly outcome: Outcome;
  /** 1-based index of the first failing case within this check. */
  readonly casesToKill?: number;
  readonly ms: number;
  /** The failing verdict (`mismatch dq`), or the last line of a crash. */
  readonly detail?: string;
}

export interface SideResult {
  readonly outcome: Outcome;
  /** Cases run until the kill, over the checks that ran (each survived check counts its whole budget). */
  readonly casesToKill?: number;
  readonly checks: readonly CheckRun[];
}

export const isKill = (o: Outcome): boolean => o === 'killed' || o === 'timeout' || o === 'error';

const TSX = import.meta.resolve('tsx');

export function commandOf(side: Side, c: CheckSpec, b: Budget, corpus: string): string[] {
  if (side === 'attnfuzz') {
    const budget = ['--seed', String(b.seed), '--runs', String(b.runs), '--backend', b.backend];
    return [process.execPath, 'bin/attnfuzz.mjs', 'check', '--suite', c.suite, '--kernel', c.kernel, ...budget].concat([
      '--json',
      '--corpus',
      corpus,
    ]);
  }
  if (c.grid === null) throw new Error(`mutation: ${checkId(c)} has no grid`);
  const grid = [
    '--grid',
    c.grid,
    '--suite',
    c.suite,
    '--kernel',
    c.kernel,
    '--runs',
    String(b.runs),
    '--backend',
    b.backend,
  ];
  return [process.execPath, '--import', TSX, 'mutation/gridCheck.ts', ...grid];
}

function lastJson(stdout: string): Record<string, unknown> | null {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** What one finished check says about the mutant. */
export function outcomeOf(side: Side, check: string, f: Finished): CheckRun {
  const ms = Math.round(f.ms);
  if (f.timedOut) return { check, outcome: 'timeout', ms };
  const json = lastJson(f.stdout);
  if (f.code === 0 && json?.status === 'clean') return { check, outcome: 'survived', ms };
  if (f.code === 1 && json?.status === 'failed') {
    const casesToKill =
      side === 'attnfuzz' ? Number(String(json.path).split(':')[0]) + 1 : Number(json.casesToKill ?? Number.NaN);
    const v = json.verdict as { status?: string; failing?: { tensor?: string } } | string | undefined;
    const detail = typeof v === 'string' ? v : [v?.status, v?.failing?.tensor].filter(Boolean).join(' ');
    return { check, outcome: 'killed', casesToKill, ms, detail };
  }
  const why = (f.stderr.trim().split('\n').pop() ?? '').slice(0, 300);
  return { check, outcome: 'error', ms, detail: `exit ${f.code ?? f.signal}: ${why}` };
}

export interface SideOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly budget: Budget;
  /** Whether this check runs the mutant's code at all (its coverage in the unmutated run). */
  readonly reaches: (side: Side, c: CheckSpec) => boolean;
  readonly limits: (side: Side, c: CheckSpec) => Limits;
}

/** The mutant through every check of `side` that reaches it, in order, until one kills it. */
export async function runSide(side: Side, checks: readonly CheckSpec[], o: SideOptions): Promise<SideResult> {
  const runs: CheckRun[] = [];
  let before = 0;
  for (const c of checks) {
    if (side === 'grid' && c.grid === null) continue;
    if (!o.reaches(side, c)) continue;
    const corpus = mkdtempSync(join(tmpdir(), 'attnfuzz-mutant-'));
    try {
      const f = await spawnLimited(commandOf(side, c, o.budget, corpus), {
        cwd: o.cwd,
        env: o.env,
        limits: o.limits(side, c),
      });
      const r = outcomeOf(side, checkId(c), f);
      runs.push(r);
      if (r.outcome !== 'survived') {
        const casesToKill = r.casesToKill !== undefined ? before + r.casesToKill : undefined;
        return { outcome: r.outcome, ...(casesToKill !== undefined ? { casesToKill } : {}), checks: runs };
      }
      before += o.budget.runs;
    } finally {
      rmSync(corpus, { recursive: true, force: true });
    }
  }
  return { outcome: runs.length === 0 ? 'not-reached' : 'survived', checks: runs };
}
