/**
 * The comparison as Markdown: the score table per file (printed at the end of a run, and the
 * generated part of docs/mutation.md), the cases-to-kill medians, and the survivors of each side.
 */
import { isKill, type Outcome } from './checks.js';
import {
  type CaseMedians,
  caseMedians,
  type FileSummary,
  isEquivalent,
  type MutantRow,
  score,
  summarize,
  total,
} from './summary.js';

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((h) => (/^[a-z]/.test(h) ? '---' : '--:'))), ...rows.map(line)];
}

/** Per file: the scores over reachable non-equivalent mutants, and over every non-equivalent one. */
export function scoreTable(files: readonly FileSummary[]): string[] {
  const row = (s: FileSummary) => [
    s.file === 'all' ? '**all**' : `\`${s.file}\``,
    String(s.mutants),
    String(s.equivalent),
    String(s.unreachable),
    `${s.attnfuzzKilled} (${score(s.attnfuzzKilled, s)}; ${score(s.attnfuzzKilled, s, 'all')})`,
    `${s.gridKilled} (${score(s.gridKilled, s)}; ${score(s.gridKilled, s, 'all')})`,
  ];
  const head = [
    'file',
    'Mutants',
    'Equivalent',
    'Unreachable',
    'Killed by attnfuzz (score; over all)',
    'Killed by the grid (score; over all)',
  ];
  return table(head, [...files.map(row), row(total(files))]);
}

/** How the survivors are classified, counted: the unclassified ones are what is left to explain. */
export function classLines(rows: readonly MutantRow[]): string[] {
  const survivors = rows.filter((r) => !isKill(r.attnfuzz));
  const count = new Map<string, number>();
  for (const r of survivors) {
    const k = r.classification?.kind ?? 'unclassified';
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  const parts = ['equivalent', 'unreachable', 'narrower', 'blind-spot', 'unclassified'].map(
    (k) => `${k} ${count.get(k) ?? 0}`,
  );
  return [`Survivors of attnfuzz: ${survivors.length} (${parts.join(', ')}).`];
}

const n = (x: number | null) => (x === null ? '-' : String(x));

export function medianLines(m: CaseMedians): string[] {
  return [
    `Cases to kill (median over the mutants each side kills with a failing case): attnfuzz ${n(m.attnfuzz)}, ` +
      `grid ${n(m.grid)}; over the ${m.bothKilled} mutants both kill: attnfuzz ${n(m.attnfuzzOnBoth)}, ` +
      `grid ${n(m.gridOnBoth)}.`,
  ];
}

const show = (o: Outcome, cases?: number) => (isKill(o) && cases !== undefined ? `${o} (${cases})` : o);

/** The mutants one side or the other lets live, with what each side did and how each is explained. */
export function survivorTable(rows: readonly MutantRow[]): string[] {
  const survivors = rows.filter((r) => !isKill(r.attnfuzz));
  if (survivors.length === 0) return ['No mutant survives attnfuzz.'];
  return table(
    ['mutant', 'grid', 'class', 'why'],
    survivors.map((r) => [
      `\`${r.key.replaceAll('|', '\\|')}\` (${r.attnfuzz})`,
      show(r.grid, r.gridCases),
      r.classification?.kind ?? '**unclassified**',
      (r.classification?.why ?? '').replaceAll('|', '\\|'),
    ]),
  );
}

/** Mutants the grid kills and attnfuzz does not, and the reverse, counted. */
export function differenceLines(rows: readonly MutantRow[]): string[] {
  const gridOnly = rows.filter((r) => isKill(r.grid) && !isKill(r.attnfuzz)).length;
  const attnfuzzOnly = rows.filter((r) => isKill(r.attnfuzz) && !isKill(r.grid) && !isEquivalent(r)).length;
  return [`Killed by attnfuzz only: ${attnfuzzOnly}; by the grid only: ${gridOnly}.`];
}

/** Which harness (src/, bin/) the results were measured on: one hash unless the run spans a merge. */
export function harnessLines(rows: readonly MutantRow[]): string[] {
  const count = new Map<string, number>();
  for (const r of rows) if (r.record) count.set(r.record.harness, (count.get(r.record.harness) ?? 0) + 1);
  const parts = [...count.entries()].map(([h, k]) => `${h} (${k} mutants)`);
  return parts.length === 0
    ? []
    : [`Harness (hash of src/ and bin/) the results were measured on: ${parts.join(', ')}.`];
}

export function summaryMarkdown(rows: readonly MutantRow[]): string[] {
  return [
    ...scoreTable(summarize(rows)),
    '',
    'Score: killed over the mutants neither equivalent nor unreachable; over all: unreachable ones count as ' +
      'survivors.',
    '',
    ...medianLines(caseMedians(rows)),
    '',
    ...differenceLines(rows),
    '',
    ...classLines(rows),
    '',
    ...harnessLines(rows),
  ];
}
