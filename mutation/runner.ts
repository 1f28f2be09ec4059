/**
 * Stryker test runner `attnfuzz`: the test of a mutant is `attnfuzz check` on the kernel its file
 * implements (targets.ts), with a fixed seed and case budget; the same mutant then goes through
 * the fixed grid (grid.ts) with the same budget, and both results go to the store (store.ts).
 * Stryker is told the attnfuzz result only: its report and score are attnfuzz's.
 *
 *   dry run    every check and grid once on the unmutated code (each must pass), with a hook that
 *              records which mutants' code each one ran (coverageHook.mjs); Stryker gets the union,
 *              so a mutant nothing runs is NoCoverage, and each side later skips the checks that do
 *              not reach a mutant: a check's cases are fixed by its seed, so one that never ran the
 *              mutated line in the unmutated run cannot see the mutation either
 *   mutant     a result already in the store for this code (resume), or outside the sample or this
 *              shard (reported as a runtime error with that reason: Stryker's score leaves those
 *              out), else attnfuzz then the grid, each check under a CPU-time limit of 5x its
 *              dry-run wall time (at least 30 s)
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StrykerOptions } from '@stryker-mutator/api/core';
import type { Logger } from '@stryker-mutator/api/logging';
import { commonTokens, declareClassPlugin, PluginKind, tokens } from '@stryker-mutator/api/plugin';
import {
  type DryRunResult,
  DryRunStatus,
  type MutantRunOptions,
  type MutantRunResult,
  MutantRunStatus,
  TestStatus,
} from '@stryker-mutator/api/test-runner';
import { type Budget, type CheckRun, commandOf, isKill, runSide, type Side, type SideResult } from './checks.js';
import { spawnLimited } from './spawnLimited.js';
import { appendRecord, lookup, type MutantRecord, mutantKey, readStore } from './store.js';
import { type CheckSpec, checkId, repoPath, targetOfFile } from './targets.js';

/** The `attnfuzz` section of the Stryker options, written by the driver (main.ts). */
export interface RunnerConfig {
  readonly budget: Budget;
  /** store.ts `fingerprintOf` of each mutated file (by its path from the root), and `harnessOf`. */
  readonly fingerprints: Readonly<Record<string, string>>;
  readonly harness: string;
  /** Measure every mutant again, whatever the store holds. */
  readonly fresh: boolean;
  /** The store (JSON lines), the run's own folder (dry-run state), the progress log: absolute paths. */
  readonly store: string;
  readonly stateDir: string;
  readonly log: string;
  /** Checks of the mutated files, for the dry run. */
  readonly checks: readonly CheckSpec[];
  /** Keys of the sampled mutants; null = all. */
  readonly sample: readonly string[] | null;
  readonly shard: { readonly index: number; readonly count: number } | null;
}

/** What the dry run measured of each `side:check`: the mutant ids whose code it ran, its wall time. */
interface DryState {
  readonly coverage: Record<string, readonly string[]>;
  readonly ms: Record<string, number>;
}

const COVERAGE_HOOK = new URL('./coverageHook.mjs', import.meta.url).pathname;
const ACTIVE = '__STRYKER_ACTIVE_MUTANT__';

export function inShard(key: string, shard: RunnerConfig['shard']): boolean {
  if (shard === null) return true;
  return createHash('sha256').update(key).digest().readUInt32BE(0) % shard.count === shard.index;
}

export class AttnfuzzTestRunner {
  static inject = tokens(commonTokens.options, commonTokens.logger);
  private readonly config: RunnerConfig;
  private dry: DryState | null = null;
  private sample: Set<string> | null;
  /** Results measured before this run started (resume); this run's own go to the file only. */
  private before: ReadonlyMap<string, MutantRecord> | null = null;

  constructor(
    options: StrykerOptions,
    private readonly log: Logger,
  ) {
    this.config = (options as StrykerOptions & { attnfuzz: RunnerConfig }).attnfuzz;
    this.sample = this.config.sample ? new Set(this.config.sample) : null;
  }

  capabilities() {
    return { reloadEnvironment: true };
  }

  private sides(): [Side, CheckSpec][] {
    return this.config.checks.flatMap((c): [Side, CheckSpec][] =>
      c.grid === null
        ? [['attnfuzz', c]]
        : [
            ['attnfuzz', c],
            ['grid', c],
          ],
    );
  }

  async dryRun(): Promise<DryRunResult> {
    const coverage: Record<string, string[]> = {};
    const ms: Record<string, number> = {};
    const union: Record<string, number> = {};
    for (const [side, c] of this.sides()) {
      const name = `${side}:${checkId(c)}`;
      const dir = join(this.config.stateDir, 'coverage', name.replace(/[:/]/g, '_'));
      mkdirSync(dir, { recursive: true });
      const corpus = join(this.config.stateDir, 'corpus');
      const env: NodeJS.ProcessEnv = { ...process.env, ATTNFUZZ_MUTATION_COVERAGE: dir };
      env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import ${COVERAGE_HOOK}`.trim();
      delete env[ACTIVE];
      const f = await spawnLimited(commandOf(side, c, this.config.budget, corpus), {
        cwd: process.cwd(),
        env,
        limits: { cpuSeconds: 3600, wallMs: 4 * 3600_000 },
      });
      rmSync(corpus, { recursive: true, force: true });
      if (f.code !== 0) {
        const tail = `${f.stdout}\n${f.stderr}`.trim().split('\n').slice(-5).join('\n');
        return { status: DryRunStatus.Error, errorMessage: `${name} fails on the unmutated code:\n${tail}` };
      }
      const ids = readdirSync(dir).flatMap((x) => JSON.parse(readFileSync(join(dir, x), 'utf8')) as string[]);
      coverage[name] = [...new Set(ids)];
      ms[name] = f.ms;
      for (const id of ids) union[id] = 1;
      this.progress(`dry run: ${name}: ${coverage[name]!.length} mutants reached, ${(f.ms / 1000).toFixed(1)} s`);
    }
    this.dry = { coverage, ms };
    writeFileSync(join(this.config.stateDir, 'dry-run.json'), JSON.stringify(this.dry));
    const total = Object.values(ms).reduce((a, b) => a + b, 0);
    const tests = [{ id: 'attnfuzz', name: 'attnfuzz check', status: TestStatus.Success, timeSpentMs: total } as const];
    return { status: DryRunStatus.Complete, tests, mutantCoverage: { static: union, perTest: {} } };
  }

  private dryState(): DryState {
    this.dry ??= JSON.parse(readFileSync(join(this.config.stateDir, 'dry-run.json'), 'utf8')) as DryState;
    return this.dry;
  }

  async mutantRun(o: MutantRunOptions): Promise<MutantRunResult> {
    const m = o.activeMutant;
    const identity = { file: repoPath(m.fileName), location: m.location, mutatorName: m.mutatorName };
    const key = mutantKey({ ...identity, replacement: m.replacement });
    const { store, shard } = this.config;
    const target = targetOfFile(m.fileName);
    const fingerprint = this.config.fingerprints[identity.file]!;
    this.before ??= this.config.fresh ? new Map() : readStore(store);
    const cached = lookup(this.before, fingerprint, key);
    if (cached) return toStryker(cached.attnfuzz);
    if (this.sample !== null && !this.sample.has(key))
      return { status: MutantRunStatus.Error, errorMessage: 'not in the sample (npm run mutate -- --sample)' };
    if (!inShard(key, shard))
      return { status: MutantRunStatus.Error, errorMessage: `in another shard than ${shard!.index}/${shard!.count}` };
    const t0 = performance.now();
    const checks = target.checks;
    const dry = this.dryState();
    const side = (s: Side) =>
      runSide(s, checks, {
        cwd: process.cwd(),
        env: { ...process.env, [ACTIVE]: m.id },
        budget: this.config.budget,
        reaches: (x, c) => dry.coverage[`${x}:${checkId(c)}`]?.includes(m.id) ?? false,
        limits: (x, c) => {
          const base = dry.ms[`${x}:${checkId(c)}`] ?? 60_000;
          return { cpuSeconds: Math.max(30, (5 * base) / 1000), wallMs: Math.max(600_000, 20 * base) };
        },
      });
    const attnfuzz = await side('attnfuzz');
    const grid = await side('grid');
    const record: MutantRecord = {
      ...identity,
      replacement: m.replacement,
      key,
      fingerprint,
      harness: this.config.harness,
      attnfuzz,
      grid,
      at: new Date().toISOString(),
      ms: Math.round(performance.now() - t0),
    };
    appendRecord(store, record);
    this.progress(progressLine(record));
    return toStryker(attnfuzz);
  }

  private progress(line: string): void {
    this.log.debug(line);
    appendFileSync(this.config.log, `${new Date().toISOString().slice(11, 19)} ${line}\n`);
  }
}

function sideText(r: SideResult): string {
  const last: CheckRun | undefined = r.checks.at(-1);
  if (!isKill(r.outcome)) return r.outcome;
  const detail = last?.detail ? `, ${last.detail}` : '';
  return `${r.outcome} by ${last?.check} (${r.casesToKill ?? '?'} cases${detail})`;
}

function progressLine(r: MutantRecord): string {
  return `${r.key}\n    attnfuzz ${sideText(r.attnfuzz)} | grid ${sideText(r.grid)} | ${(r.ms / 1000).toFixed(1)} s`;
}

function toStryker(r: SideResult): MutantRunResult {
  const last = r.checks.at(-1);
  const name = `attnfuzz check ${last?.check ?? ''}`.trim();
  if (r.outcome === 'timeout') return { status: MutantRunStatus.Timeout, reason: `${name}: over its CPU limit` };
  if (isKill(r.outcome)) {
    const failureMessage = `${r.outcome}: ${last?.detail ?? ''} (case ${r.casesToKill ?? '?'})`;
    return { status: MutantRunStatus.Killed, killedBy: [name], failureMessage, nrOfTests: r.checks.length };
  }
  return { status: MutantRunStatus.Survived, nrOfTests: r.checks.length };
}

/** Lets Stryker validate (and not warn about) the `attnfuzz` section of its options. */
export const strykerValidationSchema = {
  $schema: 'http://json-schema.org/draft-07/schema',
  type: 'object',
  properties: {
    attnfuzz: { type: 'object', description: 'mutation/runner.ts RunnerConfig, written by mutation/main.ts' },
  },
};

export const strykerPlugins = [declareClassPlugin(PluginKind.TestRunner, 'attnfuzz', AttnfuzzTestRunner)];
