/**
 * One mutation run: Stryker over the chosen kernel files with the attnfuzz runner (runner.ts),
 * then the comparison read back from its JSON report and the store (summary.ts, report.ts).
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { Stryker } from '@stryker-mutator/core';
import type { Budget } from './checks.js';
import { classify } from './classification.js';
import { gridCases } from './grid.js';
import { summaryMarkdown, survivorTable } from './report.js';
import type { RunnerConfig } from './runner.js';
import { sampleKeys } from './sample.js';
import { fingerprintOf, harnessOf, type MutantRecord, readStore } from './store.js';
import { type MutantRow, rowsOf, type StrykerReport } from './summary.js';
import { checksOfFiles, TARGETS, type TargetName } from './targets.js';

export interface MutationOptions {
  readonly root: string;
  readonly targets: readonly TargetName[];
  /** Files instead of the targets' (paths from root). */
  readonly files: readonly string[] | null;
  readonly sample: { readonly perFile: number; readonly seed: number } | null;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly concurrency: number;
  readonly budget: Budget;
  readonly reportOnly: boolean;
  readonly fresh: boolean;
  readonly docs: boolean;
  /** Absolute: runs go to <out>/<name>/, the store is <out>/store.jsonl. */
  readonly out: string;
}

/** The mutated files of a target: a folder's .ts files but tests and index.ts, or its one file. */
export function filesOfTarget(root: string, t: TargetName): string[] {
  const p = TARGETS[t].path;
  if (!statSync(join(root, p)).isDirectory()) return [p];
  return readdirSync(join(root, p))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts')
    .sort()
    .map((f) => `${p}/${f}`);
}

function runName(o: MutationOptions): string {
  const what = o.files ? 'files' : o.targets.join('+');
  return [what, o.sample ? `sample${o.sample.perFile}` : '', o.shard ? `shard${o.shard.index}of${o.shard.count}` : '']
    .filter(Boolean)
    .join('-');
}

async function strykerRun(o: MutationOptions, files: readonly string[], dir: string, config: RunnerConfig) {
  const stryker = new Stryker({
    configFile: join(o.root, 'mutation', 'stryker.config.mjs'),
    mutate: [...files],
    concurrency: o.concurrency,
    jsonReporter: { fileName: join(dir, 'mutation.json') },
    htmlReporter: { fileName: join(dir, 'mutation.html') },
    ...({ attnfuzz: config } as object),
  });
  await stryker.runMutationTest();
}

export async function mutationRun(o: MutationOptions): Promise<number> {
  const files = o.files ?? o.targets.flatMap((t) => filesOfTarget(o.root, t));
  const dir = join(o.out, runName(o));
  const storeFile = join(o.out, 'store.jsonl');
  const grids = JSON.stringify([gridCases('attention', o.budget.runs), gridCases('decode', o.budget.runs)]);
  const gridSignature = createHash('sha256').update(grids).digest('hex').slice(0, 16);
  const fingerprints = Object.fromEntries(files.map((f) => [f, fingerprintOf(o.root, f, o.budget, gridSignature)]));
  const sample = o.sample ? await sampleKeys(o.root, files, o.sample.perFile, o.sample.seed) : null;
  if (!o.reportOnly) {
    rmSync(join(dir, 'state'), { recursive: true, force: true });
    mkdirSync(join(dir, 'state'), { recursive: true });
    const log = join(dir, 'progress.log');
    writeFileSync(log, `${new Date().toISOString()} ${files.length} files, budget ${JSON.stringify(o.budget)}\n`);
    process.stderr.write(`mutate: ${files.length} files; progress, one line per mutant: ${relative(o.root, log)}\n`);
    const config: RunnerConfig = {
      budget: o.budget,
      fingerprints,
      harness: harnessOf(o.root),
      fresh: o.fresh,
      store: storeFile,
      stateDir: join(dir, 'state'),
      log,
      checks: checksOfFiles(files),
      sample,
      shard: o.shard,
    };
    await strykerRun(o, files, dir, config);
  }
  const reports = reportsOf(o, dir);
  const report: StrykerReport = { files: Object.assign({}, ...reports.map((r) => r.report.files)) };
  const records = new Map<string, MutantRecord>();
  for (const r of readStore(storeFile).values()) {
    if (r.fingerprint === fingerprints[r.file]) records.set(r.key, r);
  }
  const inSample = sample ? new Set(sample) : null;
  const { rows, missing } = rowsOf(report, records, classify, (p) => relative(o.root, resolve(o.root, p)));
  const measured = rows.filter((r) => inSample === null || inSample.has(r.key));
  const lines = [...summaryMarkdown(measured), '', ...survivorTable(measured)];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (missing.length > 0 && o.shard === null) {
    process.stderr.write(`mutate: ${missing.length} mutants have no result in the store, e.g. ${missing[0]}\n`);
  }
  if (o.docs) writeDocs(o.root, reports, measured);
  return missing.length > 0 && o.shard === null ? 1 : 0;
}

interface RunReport {
  /** The run folder it came from: <out>/eager, <out>/flash, <out>/eager+flash-sample5. */
  readonly dir: string;
  readonly report: StrykerReport;
}

/**
 * Stryker's report of this run; with --report-only over several targets and no run of them together,
 * the reports of each target's own run (`--targets eager`, then `--targets flash`), side by side.
 */
function reportsOf(o: MutationOptions, dir: string): RunReport[] {
  const read = (d: string): RunReport => ({
    dir: d,
    report: JSON.parse(readFileSync(join(d, 'mutation.json'), 'utf8')) as StrykerReport,
  });
  if (existsSync(join(dir, 'mutation.json'))) return [read(dir)];
  const perTarget =
    o.files === null && o.sample === null && o.shard === null ? o.targets.map((t) => join(o.out, t)) : [];
  if (o.reportOnly && perTarget.length > 1 && perTarget.every((d) => existsSync(join(d, 'mutation.json')))) {
    return perTarget.map(read);
  }
  throw new Error(`mutate: ${relative(o.root, join(dir, 'mutation.json'))}: no report (run without --report-only)`);
}

const BEGIN = '<!-- mutate:begin (generated by npm run mutate -- --docs) -->';
const END = '<!-- mutate:end -->';

/**
 * docs/mutation/: Stryker's reports (one HTML and JSON per run folder, named after it) and the rows;
 * docs/mutation.md: the tables between the markers.
 */
export function writeDocs(root: string, reports: readonly RunReport[], rows: readonly MutantRow[]): void {
  const out = join(root, 'docs', 'mutation');
  mkdirSync(out, { recursive: true });
  for (const { dir } of reports) {
    const name = basename(dir);
    for (const ext of ['html', 'json']) copyFileSync(join(dir, `mutation.${ext}`), join(out, `${name}.${ext}`));
  }
  const results = rows.map(({ record, ...r }) => ({
    ...r,
    checks: record ? { a: record.attnfuzz, g: record.grid } : null,
  }));
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  const md = join(root, 'docs', 'mutation.md');
  const text = existsSync(md) ? readFileSync(md, 'utf8') : `# Mutation testing\n\n${BEGIN}\n${END}\n`;
  const [before, rest] = text.split(BEGIN);
  const after = rest?.split(END)[1];
  if (after === undefined) throw new Error(`mutate: docs/mutation.md: no ${BEGIN} ... ${END} markers`);
  const generated = [...summaryMarkdown(rows), '', '### Survivors', '', ...survivorTable(rows)].join('\n');
  writeFileSync(md, `${before}${BEGIN}\n${generated}\n${END}${after}`);
}
