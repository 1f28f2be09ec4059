/**
 * `npm run mutate -- [--targets eager,flash | --files kernels/flash/forward.ts ...] [--sample
 * [--per-file K] [--sample-seed S]] [--shard i/n] [--concurrency C] [--seed S] [--runs N]
 * [--backend wasm|cpu] [--fresh] [--report-only] [--docs]`
 *
 * Mutation testing of the built-in kernels with `attnfuzz check` as the test (Stryker, the custom
 * runner runner.ts), the same mutants through the fixed grid (grid.ts) with the same budget, then
 * both scores per file (summary.ts). Results go to a store as each mutant finishes, so a run that
 * stops resumes where it was, and `--shard i/n` runs the i-th of n disjoint parts (run the same
 * command without --shard afterwards: every result is then in the store, and it writes the report).
 *
 *   --sample     a fixed random sample of K mutants per file (default 5: about 15 minutes on 2 cores)
 *   --docs       writes docs/mutation/ (Stryker's HTML and JSON reports, the results) and the
 *                generated tables of docs/mutation.md
 *
 * Output: .attnfuzz-cache/mutation/<targets>/ (reports, progress.log: one line per mutant).
 */
import { mkdirSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { type MutationOptions, mutationRun } from './run.js';
import { TARGET_NAMES, type TargetName } from './targets.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`mutate: ${flag}: a positive integer, got ${v}`);
  return n;
};

function shardOf(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const [index, count] = m ? [Number(m[1]), Number(m[2])] : [Number.NaN, Number.NaN];
  if (!(count >= 1 && index >= 0 && index < count)) throw new Error(`mutate: --shard: i/n with 0 <= i < n, got ${v}`);
  return { index, count };
}

function targetsOf(v: string): TargetName[] {
  const names = v.split(',').map((x) => x.trim());
  for (const n of names) {
    if (!(TARGET_NAMES as readonly string[]).includes(n))
      throw new Error(`mutate: --targets: ${n} is not one of ${TARGET_NAMES.join(', ')}`);
  }
  return names as TargetName[];
}

export function program(): Command {
  return new Command('mutate')
    .description('mutation testing of kernels/ with attnfuzz check as the test, beside a fixed grid')
    .addOption(new Option('--targets <list>', `kernel folders: ${TARGET_NAMES.join(', ')}`).default('eager,flash'))
    .addOption(new Option('--files <paths...>', 'kernel files to mutate instead of whole targets'))
    .addOption(new Option('--sample', 'a fixed random sample of --per-file mutants of each file'))
    .addOption(
      new Option('--per-file <k>', 'mutants per file in --sample').argParser(positiveInt('--per-file')).default(5),
    )
    .addOption(new Option('--sample-seed <n>', 'seed of the sample').argParser(Number).default(1))
    .addOption(new Option('--shard <i/n>', 'run the i-th of n disjoint parts of the mutants').argParser(shardOf))
    .addOption(new Option('--concurrency <n>', 'mutants at once').argParser(positiveInt('--concurrency')).default(2))
    .addOption(new Option('--seed <n>', 'seed of every attnfuzz check').argParser(Number).default(1))
    .addOption(
      new Option('--runs <n>', 'cases per check, attnfuzz and grid').argParser(positiveInt('--runs')).default(100),
    )
    .addOption(new Option('--backend <name>', 'tfjs backend of both sides').choices(['cpu', 'wasm']).default('wasm'))
    .addOption(new Option('--fresh', 'measure every mutant again, ignoring the store'))
    .addOption(new Option('--report-only', "summarise the last run's report and the store; run nothing"))
    .addOption(new Option('--docs', 'write docs/mutation/ and the tables of docs/mutation.md'))
    .addOption(new Option('--out <dir>', 'where runs and the store go').default('.attnfuzz-cache/mutation'));
}

async function main(): Promise<void> {
  const cli = program().parse(process.argv);
  const o = cli.opts();
  const options: MutationOptions = {
    root: ROOT,
    targets: targetsOf(o.targets as string),
    files: (o.files as string[] | undefined)?.map((f) => relative(ROOT, resolve(f))) ?? null,
    sample: o.sample ? { perFile: o.perFile as number, seed: o.sampleSeed as number } : null,
    shard: (o.shard as { index: number; count: number } | undefined) ?? null,
    concurrency: o.concurrency as number,
    budget: { seed: o.seed as number, runs: o.runs as number, backend: o.backend as 'cpu' | 'wasm' },
    reportOnly: Boolean(o.reportOnly),
    fresh: Boolean(o.fresh),
    docs: Boolean(o.docs),
    out: resolve(ROOT, o.out as string),
  };
  mkdirSync(options.out, { recursive: true });
  process.chdir(ROOT);
  // Stryker's worker processes load the runner plugin (TypeScript) through tsx, like bin/attnfuzz.mjs runs src/.
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${import.meta.resolve('tsx')}`.trim();
  process.exitCode = await mutationRun(options);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 2;
  });
}
