/**
 * The one property engine of the suites. A property is an arbitrary plus a relation from a
 * generated value to an `Outcome`: null (it holds), one line, or a `Finding` (lines, and the
 * differential check when the core's oracle judged the value). Each property runs twice:
 *
 *   holds(cases, relation(builtin), runs)     every generated value satisfies it (fast-check,
 *                                             shrinking); otherwise ONE formatted repro is thrown
 *   failsOn(cases, relation(broken), runs)    it fails within `runs` values on a kernel broken the
 *                                             way it targets (none may pass vacuously), and the
 *                                             failure is returned so the test checks the reason
 *
 * `holdsFor` / `failsFor` are the same for one fixed value (a training run with a fixed seed).
 * A relation that throws fails with `threw: <message>`. The repro is the core's `formatRepro` when
 * the finding carries a check, else the shrunk value as JSON and what differs; then fast-check's
 * `{ seed, path }` and the line that replays the test (ATTNFUZZ_SEED, the file, the title).
 *
 * Runs and seed come from the profile (profile.ts): the same seed for every property of a run.
 * `failsOn` stops at the first failure without shrinking: only the fact and the reason matter.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { fcParams, PROFILE, SEED } from '../../fixtures/profile.js';
import { formatVerdict } from '../../src/oracle/index.js';
import { formatRepro } from '../../src/report/index.js';
import type { CaseCheck } from '../../src/runner/index.js';

/** Why a relation does not hold for one value: lines for a person, and the differential check if any. */
export interface Finding {
  readonly lines: readonly string[];
  readonly check?: CaseCheck;
}

/** null: the relation holds; otherwise what differs (one line, or a finding). */
export type Outcome = Finding | string | null;

/** A relation may await (the differential one runs the core's async check). */
export type Relation<T> = (value: T) => Outcome | Promise<Outcome>;

/** A value the relation fails on, and why. */
export interface Failure<T> {
  readonly counterexample: T;
  /** The finding's lines, joined by newlines. */
  readonly message: string;
  /** The core's check, when the relation is differential. */
  readonly check?: CaseCheck;
  /** fast-check's replay of the value (path '' for a fixed value: `holdsFor`, `failsFor`). */
  readonly seed: number;
  readonly path: string;
  readonly numRuns: number;
  readonly numShrinks: number;
}

export const findingOf = (o: Outcome): Finding | null =>
  o === null ? null : typeof o === 'string' ? { lines: [o] } : o;

const isPromise = (o: unknown): o is Promise<Outcome> => typeof (o as { then?: unknown } | null)?.then === 'function';

const first = (outcomes: readonly Outcome[]): Outcome => outcomes.find((o) => o !== null) ?? null;

function all(outcomes: readonly Outcome[]): Outcome {
  const found = outcomes.map(findingOf).filter((f): f is Finding => f !== null);
  if (found.length === 0) return null;
  const check = found.find((f) => f.check)?.check;
  return { lines: found.flatMap((f) => f.lines), ...(check ? { check } : {}) };
}

/** The first outcome that is not null; a promise of it when some outcome is one (an async relation's). */
export function firstOf(...outcomes: Outcome[]): Outcome;
export function firstOf(...outcomes: Array<Outcome | Promise<Outcome>>): Outcome | Promise<Outcome>;
export function firstOf(...outcomes: Array<Outcome | Promise<Outcome>>): Outcome | Promise<Outcome> {
  return outcomes.some(isPromise) ? Promise.all(outcomes).then(first) : first(outcomes as Outcome[]);
}

/** Every outcome that is not null, as one finding (the first check kept), or null; awaited as `firstOf`. */
export function allOf(...outcomes: Outcome[]): Outcome;
export function allOf(...outcomes: Array<Outcome | Promise<Outcome>>): Outcome | Promise<Outcome>;
export function allOf(...outcomes: Array<Outcome | Promise<Outcome>>): Outcome | Promise<Outcome> {
  return outcomes.some(isPromise) ? Promise.all(outcomes).then(all) : all(outcomes as Outcome[]);
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function evaluate<T>(relation: Relation<T>, value: T): Promise<Finding | null> {
  try {
    return findingOf(await relation(value));
  } catch (e) {
    return { lines: [`threw: ${messageOf(e)}`] };
  }
}

class RelationFailed extends Error {
  constructor(readonly finding: Finding) {
    super(finding.lines.join('\n'));
  }
}

function failureOf<T>(
  value: T,
  f: Finding,
  run: Pick<Failure<T>, 'seed' | 'path' | 'numRuns' | 'numShrinks'>,
): Failure<T> {
  return { counterexample: value, message: f.lines.join('\n'), ...(f.check ? { check: f.check } : {}), ...run };
}

/** The relation over the profile's runs of `arb`: its (shrunk, unless `shrink` is false) failure, or null. */
async function search<T>(
  arb: fc.Arbitrary<T>,
  relation: Relation<T>,
  baseRuns: number,
  shrink: boolean,
): Promise<Failure<T> | null> {
  const params = fcParams(baseRuns);
  const property = fc.asyncProperty(arb, async (value) => {
    const f = await evaluate(relation, value);
    if (f !== null) throw new RelationFailed(f);
  });
  const d = await fc.check(property, { ...params, endOnFailure: !shrink });
  if (!d.failed || d.counterexample === null) return null;
  // errorInstance belongs to the counterexample (the last failing value, after shrinking).
  const f =
    d.errorInstance instanceof RelationFailed
      ? d.errorInstance.finding
      : { lines: [`threw: ${messageOf(d.errorInstance)}`] };
  return failureOf(d.counterexample[0] as T, f, {
    seed: d.seed,
    path: d.counterexamplePath ?? '',
    numRuns: d.numRuns,
    numShrinks: d.numShrinks,
  });
}

/** The command that re-runs the current test with this run's seed (its file and title from vitest). */
export function replayCommand(): string {
  const state = expect.getState();
  const file = state.testPath ? state.testPath.replace(`${process.cwd()}/`, '') : 'properties';
  const title = (state.currentTestName ?? '').split(' > ').pop() ?? '';
  // vitest -t takes a regular expression matched against the test's name.
  const pattern = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const profile = PROFILE === 'default' ? '' : `ATTNFUZZ_PROFILE=${PROFILE} `;
  return `${profile}ATTNFUZZ_SEED=${SEED} npx vitest run ${file} -t ${JSON.stringify(pattern)}`;
}

/** Typed arrays as plain arrays, so tensors print as data. */
const json = (v: unknown) =>
  JSON.stringify(v, (_k, x: unknown) =>
    ArrayBuffer.isView(x) && !(x instanceof DataView) ? Array.from(x as Float64Array) : x,
  );

/**
 * The one failure report: the core's repro for a differential failure, else the value and what differs; then the replay
 * line.
 */
export function formatFailure<T>(f: Failure<T>): string {
  const lines: string[] = [];
  const fixed = f.path === '';
  if (f.check) {
    const repro = formatRepro({
      check: f.check,
      saved: null,
      seed: f.seed,
      path: f.path,
      cases: f.numRuns,
      numShrinks: f.numShrinks,
    });
    lines.push(...repro.filter((l) => !(fixed && l.startsWith('fast-check:'))));
    // The finding's own lines, unless they are the verdict's (already printed by the repro).
    const verdict = new Set(formatVerdict(f.check.verdict));
    lines.push(...f.message.split('\n').filter((l) => !verdict.has(l)));
  } else {
    lines.push(
      fixed ? 'property failed on:' : `property failed after ${f.numRuns} cases, shrunk in ${f.numShrinks} steps to:`,
    );
    lines.push(json(f.counterexample), 'what differs:', ...f.message.split('\n').map((l) => `  ${l}`));
    if (!fixed) lines.push(`fast-check: { seed: ${f.seed}, path: "${f.path}" }`);
  }
  lines.push(`replay: ${replayCommand()}`);
  return lines.join('\n');
}

/** Asserts that the relation holds on every generated value; throws the shrunk repro otherwise. */
export async function holds<T>(arb: fc.Arbitrary<T>, relation: Relation<T>, baseRuns: number): Promise<void> {
  const f = await search(arb, relation, baseRuns, true);
  if (f) throw new Error(formatFailure(f));
}

/**
 * Asserts that the relation fails within `baseRuns` values (a test of the property itself) and
 * returns the first failure, so the caller can check that it fails for the targeted reason.
 */
export async function failsOn<T>(arb: fc.Arbitrary<T>, relation: Relation<T>, baseRuns: number): Promise<Failure<T>> {
  const f = await search(arb, relation, baseRuns, false);
  if (!f)
    throw new Error(
      `the relation held on ${fcParams(baseRuns).numRuns} cases: it cannot detect this broken kernel (replay: ` +
        `${replayCommand()})`,
    );
  return f;
}

const FIXED = { seed: SEED, path: '', numRuns: 1, numShrinks: 0 };

/** `holds` for one fixed value. */
export async function holdsFor<T>(value: T, relation: Relation<T>): Promise<void> {
  const f = await evaluate(relation, value);
  if (f) throw new Error(formatFailure(failureOf(value, f, FIXED)));
}

/** `failsOn` for one fixed value. */
export async function failsFor<T>(value: T, relation: Relation<T>): Promise<Failure<T>> {
  const f = await evaluate(relation, value);
  if (!f) throw new Error(`the relation held on ${json(value)}: it cannot detect this broken kernel`);
  return failureOf(value, f, FIXED);
}
