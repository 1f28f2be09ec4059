/**
 * Shared helpers of the attention property suites, so that each property is a sentence and a few
 * lines. A property here is an arbitrary plus a check that returns null (holds) or a `Finding`
 * (why not); `assertProperty` runs it with the profile's seed and number of runs and, on failure,
 * throws the shrunk repro (the core's `formatRepro` when the finding carries a differential
 * check) with the line that replays it. `propertyFails` runs the same property on a broken kernel
 * and says whether it failed: the test of the property itself (none may pass vacuously).
 *
 *   it('flash matches the reference', () => assertProperty(kernelMatchesReference(flash, arb), 8));
 *   it('... can fail', () => expect(propertyFails(kernelMatchesReference(broken, arb), 8)).toBe(true));
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { tf } from '../../src/backend/index.js';
import type { AttentionCase } from '../../src/case/index.js';
import {
  ATTENTION_TENSORS,
  maxAbs,
  unravel,
  type AttentionInputs,
  type AttentionOptions,
  type AttentionResult,
  type AttentionTensorName,
  type HostTensor,
} from '../../src/contract/index.js';
import { materializeAttention, type MaterializedAttention } from '../../src/data/index.js';
import { runAttentionKernel, type AttentionKernel } from '../../src/kernel/index.js';
import { formatVerdict, isFailure } from '../../src/oracle/index.js';
import { formatRepro } from '../../src/report/index.js';
import { builtinKernel, checkCase, fixedKernel, type CaseCheck, type KernelUnderTest } from '../../src/runner/index.js';
import { fcParams, SEED } from './profile.js';

// ---------------------------------------------------------------------------------------------
// Properties and how they are run

/** Why a property does not hold for one value: lines for a person, and the differential check if any. */
export interface Finding {
  readonly lines: readonly string[];
  readonly check?: CaseCheck;
}

export interface Property<T> {
  readonly arb: fc.Arbitrary<T>;
  /** null when the property holds for `value`. A throw counts as a failure too. */
  readonly check: (value: T) => Finding | null;
}

export type PropertyRun<T> =
  | { readonly failed: false; readonly numRuns: number }
  | {
      readonly failed: true;
      readonly numRuns: number;
      readonly numShrinks: number;
      readonly counterexample: T;
      readonly finding: Finding;
      readonly seed: number;
      readonly path: string;
    };

class PropertyFailure extends Error {
  constructor(readonly finding: Finding) {
    super(finding.lines.join('\n'));
  }
}

export function property<T>(arb: fc.Arbitrary<T>, check: (value: T) => Finding | null): Property<T> {
  return { arb, check };
}

/** Runs a property with the profile's seed and `fcParams(baseRuns)`; `shrink: false` stops at the first failure. */
export function runProperty<T>(p: Property<T>, baseRuns: number, opts: { shrink?: boolean } = {}): PropertyRun<T> {
  const params = fcParams(baseRuns);
  const details = fc.check(
    fc.property(p.arb, (value) => {
      const finding = p.check(value);
      if (finding !== null) throw new PropertyFailure(finding);
    }),
    { ...params, endOnFailure: opts.shrink === false },
  );
  if (!details.failed || details.counterexample === null) return { failed: false, numRuns: details.numRuns };
  const err = details.errorInstance;
  const finding: Finding = err instanceof PropertyFailure ? err.finding : { lines: [`threw: ${err instanceof Error ? err.message : String(err)}`] };
  return {
    failed: true,
    numRuns: details.numRuns,
    numShrinks: details.numShrinks,
    counterexample: details.counterexample[0] as T,
    finding,
    seed: params.seed,
    path: details.counterexamplePath ?? '',
  };
}

/** The report of a failed run: the core's repro for differential findings, else the value and the finding. */
export function formatFailure<T>(r: Extract<PropertyRun<T>, { failed: true }>, title: string, file: string): string {
  const lines: string[] = [];
  if (r.finding.check) {
    lines.push(...formatRepro({ check: r.finding.check, savedJson: null, savedSvg: null, seed: r.seed, path: r.path, cases: r.numRuns, numShrinks: r.numShrinks }));
    lines.push(...r.finding.lines.filter((l) => !formatVerdict(r.finding.check!.verdict).includes(l)));
  } else {
    lines.push(`property failed after ${r.numRuns} cases, shrunk in ${r.numShrinks} steps to:`);
    lines.push(JSON.stringify(r.counterexample));
    lines.push(...r.finding.lines);
    lines.push(`fast-check: { seed: ${r.seed}, path: "${r.path}" }`);
  }
  // vitest -t takes a regular expression matched against the test's name.
  const pattern = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  lines.push(`replay: ATTNFUZZ_SEED=${SEED} npx vitest run ${file} -t ${JSON.stringify(pattern)}`);
  return lines.join('\n');
}

/** Asserts that the property holds; on failure the error message is the shrunk repro. */
export function assertProperty<T>(p: Property<T>, baseRuns: number): void {
  const r = runProperty(p, baseRuns);
  if (!r.failed) return;
  const state = expect.getState();
  const file = state.testPath ? state.testPath.replace(`${process.cwd()}/`, '') : 'properties';
  throw new Error(formatFailure(r, (state.currentTestName ?? '').split(' > ').pop()!, file));
}

/** True iff the property fails somewhere within `baseRuns` cases (no shrinking: only the fact matters). */
export function propertyFails<T>(p: Property<T>, baseRuns: number): boolean {
  return runProperty(p, baseRuns, { shrink: false }).failed;
}

// ---------------------------------------------------------------------------------------------
// Kernels

export type BuiltinName = 'eager' | 'sdpa' | 'flash';
export const BUILTINS: readonly BuiltinName[] = ['eager', 'sdpa', 'flash'];

/** A built-in by name (flash with the case's block sizes) or any kernel object as is. */
export function underTest(k: BuiltinName | AttentionKernel): KernelUnderTest {
  return typeof k === 'string' ? builtinKernel(k) : fixedKernel(k);
}

/** The contract kernel to run on case `c`. */
export function kernelFor(k: BuiltinName | AttentionKernel, c: AttentionCase): AttentionKernel {
  return underTest(k).forCase(c);
}

/** Forward and backward in the contract layout, with options and inputs overridden as given. */
export function run(
  kernel: AttentionKernel,
  m: MaterializedAttention,
  over: { options?: Partial<AttentionOptions>; inputs?: Partial<AttentionInputs> } = {},
): AttentionResult {
  return runAttentionKernel(kernel, { ...m.inputs, ...over.inputs }, { ...m.options, ...over.options });
}

export { materializeAttention as materialize };

// ---------------------------------------------------------------------------------------------
// The differential property

/** The kernel agrees with the float64 reference within the oracle's tolerance (pass or unsupported). */
export function kernelMatchesReference(k: BuiltinName | AttentionKernel, arb: fc.Arbitrary<AttentionCase>): Property<AttentionCase> {
  const kut = underTest(k);
  return property(arb, (c) => {
    const check = checkCase(c, kut);
    return isFailure(check.verdict) ? { lines: formatVerdict(check.verdict), check } : null;
  });
}

// ---------------------------------------------------------------------------------------------
// Comparing results

/** Row-major coordinates of flat index n in `shape` (the contract's `unravel`). */
export const coords = unravel;

/** Exactly equal, or both NaN (±0 are equal). */
const same = (x: number, y: number) => x === y || (Number.isNaN(x) && Number.isNaN(y));

/**
 * The lines describing where tensor `a` differs from `b` by more than `tol · max(1, max|b|)`
 * (tol 0 = bit-identical), restricted to the elements `where` selects; empty when they agree.
 */
export function tensorDiff(name: string, a: HostTensor, b: HostTensor, tol = 0, where: (n: number) => boolean = () => true): string[] {
  if (a.shape.length !== b.shape.length || a.shape.some((d, n) => d !== b.shape[n])) {
    return [`${name}: shape [${a.shape.join(',')}] vs [${b.shape.join(',')}]`];
  }
  const bound = tol * Math.max(1, maxAbs(b));
  let worst = -1;
  let worstErr = 0;
  let count = 0;
  for (let n = 0; n < b.data.length; n++) {
    if (!where(n)) continue;
    const x = a.data[n]!;
    const y = b.data[n]!;
    if (tol === 0 ? same(x, y) : Math.abs(x - y) <= bound) continue;
    const err = Number.isFinite(x - y) ? Math.abs(x - y) : Infinity;
    count++;
    if (worst < 0 || err > worstErr) [worst, worstErr] = [n, err];
  }
  if (count === 0) return [];
  const at = coords(b.shape, worst).join(',');
  return [`${name}: ${count} element(s) differ (allowed ${tol === 0 ? 'none' : bound.toExponential(2)}), worst @[${at}]: ${a.data[worst]} vs ${b.data[worst]}`];
}

/** Lines naming every tensor of `a` that differs from `b` (see `tensorDiff`); empty when all agree. */
export function resultDiff(a: AttentionResult, b: AttentionResult, tol: number | Partial<Record<AttentionTensorName, number>> = 0, label = ''): string[] {
  const t = (name: AttentionTensorName) => (typeof tol === 'number' ? tol : (tol[name] ?? 0));
  return ATTENTION_TENSORS.flatMap((name) => tensorDiff(`${label}${name}`, a[name], b[name], t(name)));
}

/** A finding from difference lines, or null when there are none. */
export function findingOf(lines: readonly string[], ...context: string[]): Finding | null {
  return lines.length === 0 ? null : { lines: [...context, ...lines] };
}

/** The two results agree (bit-identical by default): a Finding naming the tensors that do not. */
export function sameResult(a: AttentionResult, b: AttentionResult, tol: number | Partial<Record<AttentionTensorName, number>> = 0, label = ''): Finding | null {
  return findingOf(resultDiff(a, b, tol, label));
}

/** Lines naming every non-finite element of the result (empty when all finite). */
export function nonFinite(r: AttentionResult): string[] {
  return ATTENTION_TENSORS.flatMap((name) => {
    const n = r[name].data.findIndex((x) => !Number.isFinite(x));
    return n < 0 ? [] : [`${name}: non-finite ${r[name].data[n]} @[${coords(r[name].shape, n).join(',')}]`];
  });
}

// ---------------------------------------------------------------------------------------------
// Leaks

/** Live tfjs tensors now (leak checks compare it around a call). */
export const liveTensors = (): number => tf.memory().numTensors;
