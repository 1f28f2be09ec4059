/**
 * The comparison a run ends with: per file, how many of the same mutants `attnfuzz check` and the
 * grid kill, their scores over the mutants not known to be equivalent, the median number of cases
 * each needed, and the survivors. Read from Stryker's JSON report (which mutants the run made, and
 * NoCoverage for those no check reaches) and the store (what each side did with the others).
 */
import { isKill, type Outcome } from './checks.js';
import type { MutantIdentity, MutantRecord } from './store.js';
import { mutantKey } from './store.js';

/** The part of Stryker's mutation-testing-report-schema JSON read here. */
export interface StrykerReport {
  readonly files: Record<
    string,
    {
      readonly mutants: readonly {
        readonly id: string;
        readonly mutatorName: string;
        readonly replacement?: string;
        readonly location: {
          readonly start: { readonly line: number; readonly column: number };
          readonly end: { readonly line: number; readonly column: number };
        };
        readonly status: string;
        readonly statusReason?: string;
      }[];
    }
  >;
}

/** How a survivor is explained (mutation/classification.ts). */
export interface Classification {
  readonly kind: 'equivalent' | 'unreachable' | 'narrower' | 'blind-spot';
  readonly why: string;
}

export interface MutantRow extends MutantIdentity {
  readonly key: string;
  readonly attnfuzz: Outcome;
  readonly grid: Outcome;
  readonly attnfuzzCases?: number;
  readonly gridCases?: number;
  readonly record: MutantRecord | null;
  readonly classification: Classification | null;
}

export interface FileSummary {
  readonly file: string;
  readonly mutants: number;
  readonly equivalent: number;
  /** Survivors classified unreachable (isUnreachable). */
  readonly unreachable: number;
  readonly attnfuzzKilled: number;
  readonly gridKilled: number;
}

/**
 * The report's mutants with both sides' results; those outside the sample or shard are left out,
 * unmeasured ones fail.
 */
export function rowsOf(
  report: StrykerReport,
  records: ReadonlyMap<string, MutantRecord>,
  classify: (key: string) => Classification | null,
  fileOf: (reported: string) => string,
): { rows: MutantRow[]; missing: string[] } {
  const rows: MutantRow[] = [];
  const missing: string[] = [];
  for (const [reported, f] of Object.entries(report.files)) {
    const file = fileOf(reported);
    for (const m of f.mutants) {
      const location = {
        start: { line: m.location.start.line - 1, column: m.location.start.column - 1 },
        end: { line: m.location.end.line - 1, column: m.location.end.column - 1 },
      };
      const identity = { file, location, mutatorName: m.mutatorName, replacement: m.replacement ?? '' };
      const key = mutantKey(identity);
      const record = records.get(key) ?? null;
      if (m.status === 'Ignored' || (record === null && m.status === 'RuntimeError')) continue;
      if (record === null && m.status !== 'NoCoverage') {
        missing.push(`${key} (${m.status})`);
        continue;
      }
      const a = record?.attnfuzz;
      const g = record?.grid;
      rows.push({
        ...identity,
        key,
        attnfuzz: a?.outcome ?? 'not-reached',
        grid: g?.outcome ?? 'not-reached',
        ...(a?.casesToKill !== undefined ? { attnfuzzCases: a.casesToKill } : {}),
        ...(g?.casesToKill !== undefined ? { gridCases: g.casesToKill } : {}),
        record,
        classification: classify(key),
      });
    }
  }
  return { rows, missing };
}

export function summarize(rows: readonly MutantRow[]): FileSummary[] {
  const byFile = new Map<string, MutantRow[]>();
  for (const r of rows) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
  return [...byFile.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, rs]) => ({
      file,
      mutants: rs.length,
      equivalent: rs.filter(isEquivalent).length,
      unreachable: rs.filter(isUnreachable).length,
      attnfuzzKilled: rs.filter((r) => isKill(r.attnfuzz)).length,
      gridKilled: rs.filter((r) => isKill(r.grid)).length,
    }));
}

/** A survivor of attnfuzz classified as equivalent: left out of both scores' denominators. */
export function isEquivalent(r: MutantRow): boolean {
  return !isKill(r.attnfuzz) && r.classification?.kind === 'equivalent';
}

/**
 * A survivor no built-in runs through the contract (Stryker's NoCoverage, or code only a user kernel
 * calls): left out of the score over reachable mutants, counted in the score over all.
 */
export function isUnreachable(r: MutantRow): boolean {
  return !isKill(r.attnfuzz) && r.classification?.kind === 'unreachable';
}

export function total(files: readonly FileSummary[]): FileSummary {
  const sum = (f: (x: FileSummary) => number) => files.reduce((a, x) => a + f(x), 0);
  return {
    file: 'all',
    mutants: sum((x) => x.mutants),
    equivalent: sum((x) => x.equivalent),
    unreachable: sum((x) => x.unreachable),
    attnfuzzKilled: sum((x) => x.attnfuzzKilled),
    gridKilled: sum((x) => x.gridKilled),
  };
}

/**
 * killed / (mutants - equivalent - unreachable) as a percentage with one decimal: the score over the
 * mutants a check can reach (Stryker's score of covered code, less the equivalent ones); with
 * `over: 'all'`, unreachable mutants count as survivors.
 */
export function score(killed: number, s: FileSummary, over: 'reachable' | 'all' = 'reachable'): string {
  const n = s.mutants - s.equivalent - (over === 'reachable' ? s.unreachable : 0);
  return n === 0 ? '-' : `${((100 * killed) / n).toFixed(1)}%`;
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface CaseMedians {
  readonly attnfuzz: number | null;
  readonly grid: number | null;
  /** Over the mutants both sides killed by a failing case, the same mutants for each. */
  readonly bothKilled: number;
  readonly attnfuzzOnBoth: number | null;
  readonly gridOnBoth: number | null;
}

export function caseMedians(rows: readonly MutantRow[]): CaseMedians {
  const both = rows.filter((r) => r.attnfuzzCases !== undefined && r.gridCases !== undefined);
  return {
    attnfuzz: median(rows.flatMap((r) => (r.attnfuzzCases !== undefined ? [r.attnfuzzCases] : []))),
    grid: median(rows.flatMap((r) => (r.gridCases !== undefined ? [r.gridCases] : []))),
    bothKilled: both.length,
    attnfuzzOnBoth: median(both.map((r) => r.attnfuzzCases!)),
    gridOnBoth: median(both.map((r) => r.gridCases!)),
  };
}
