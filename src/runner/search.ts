/**
 * The search behind `attnfuzz check`: the differential property "the kernel agrees with the float64
 * reference within the oracle's tolerance" over fast-check's `attentionCase` arbitrary, until a
 * failure or the end of the budget, then shrinking to the minimal failing case.
 *
 * Budget: `numRuns` cases and/or `timeMs`. fast-check's `interruptAfterTimeLimit` also interrupts
 * shrinking, so the search is two phases: (1) generate for at most `timeMs`; (2) on a failure,
 * resume from its replay path (`{ seed, path }`) to finish shrinking within `shrinkTimeMs`. Both
 * phases are deterministic given the seed: same seed, same sequence of cases.
 *
 * The predicate is synchronous (tfjs cpu/wasm read back with dataSync), so progress is reported
 * from inside it, throttled, rather than from a timer that would never get to run.
 */
import fc from 'fast-check';
import { attentionCase, type AttentionCase, type AttentionCaseConstraints } from '../case/index.js';
import { isFailure } from '../oracle/index.js';
import { checkCase, type CaseCheck } from './differential.js';
import { simplifyFailure } from './simplify.js';
import type { KernelUnderTest } from './kernels.js';

export interface SearchOptions {
  readonly kernel: KernelUnderTest;
  /** fast-check seed; default Date.now() (reported, so any run can be replayed). */
  readonly seed?: number;
  /** Case budget; default: unbounded when timeMs is given, else 100. */
  readonly numRuns?: number;
  /** Time budget of the generation phase in ms. */
  readonly timeMs?: number;
  /** Time budget of shrinking in ms; default 60 s. */
  readonly shrinkTimeMs?: number;
  /** Constraints of the case generator (tests use small sizes). */
  readonly constraints?: AttentionCaseConstraints;
  /** Called with every case checked (in order), and its result. */
  readonly onCase?: (check: CaseCheck, phase: 'search' | 'shrink') => void;
  /** Called at most every `progressMs` with counts so far. */
  readonly onProgress?: (p: SearchProgress) => void;
  readonly progressMs?: number;
}

export interface SearchProgress {
  readonly phase: 'search' | 'shrink';
  readonly cases: number;
  readonly unsupported: number;
  readonly elapsedMs: number;
  readonly casesPerSecond: number;
}

export type SearchResult = SearchOutcome<CaseCheck>;

/** What a search needs to know about one case's check: whether it failed, and if unsupported. */
export interface SearchPredicate<Check> {
  readonly check: (c: AttentionCase) => Check;
  readonly failed: (check: Check) => boolean;
  readonly unsupported: (check: Check) => boolean;
}

/** Options common to every search (single-backend and cross-backend). */
export type SearchBudget<Check> = Omit<SearchOptions, 'kernel' | 'onCase'> & {
  readonly onCase?: (check: Check, phase: 'search' | 'shrink') => void;
};

/** The result of a search, generic in the check it runs. */
export type SearchOutcome<Check> =
  | { readonly status: 'clean'; readonly seed: number; readonly cases: number; readonly unsupported: number; readonly elapsedMs: number; readonly interrupted: boolean }
  | {
      readonly status: 'failed';
      readonly seed: number;
      /** fast-check's replay path of the case fast-check shrank to: `{ seed, path }` replays it. */
      readonly path: string;
      readonly cases: number;
      readonly unsupported: number;
      readonly numShrinks: number;
      readonly elapsedMs: number;
      /** The first failing case found, before shrinking. */
      readonly original: AttentionCase;
      /** The minimal failing case, re-checked (its verdict, tensors, reference). */
      readonly shrunk: Check;
      /**
       * Steps of the structural pass after fast-check's shrinking (src/runner/simplify.ts); when
       * non-empty, `path` replays the case before these steps and the saved case is the final one.
       */
      readonly simplified: readonly string[];
    };

/**
 * The three phases (generate, finish shrinking, structural pass) for any per-case check: shared
 * by `searchFailure` and the cross-backend search (crossSearch.ts).
 */
export function runSearch<Check>(o: SearchBudget<Check>, p: SearchPredicate<Check>): SearchOutcome<Check> {
  const seed = o.seed ?? Date.now() % 0x7fffffff;
  const arb = attentionCase(o.constraints);
  const t0 = performance.now();
  let cases = 0;
  let unsupported = 0;
  let phase: 'search' | 'shrink' = 'search';
  let lastProgress = t0;
  let original: AttentionCase | null = null;
  const progressMs = o.progressMs ?? 1000;
  const run = (c: AttentionCase): boolean => {
    const check = p.check(c);
    cases++;
    if (p.unsupported(check)) unsupported++;
    o.onCase?.(check, phase);
    const now = performance.now();
    if (o.onProgress && now - lastProgress >= progressMs) {
      lastProgress = now;
      const elapsedMs = now - t0;
      o.onProgress({ phase, cases, unsupported, elapsedMs, casesPerSecond: (cases * 1000) / elapsedMs });
    }
    return p.failed(check);
  };
  const property = fc.property(arb, (c) => {
    const failed = run(c);
    if (failed && original === null) original = c;
    return !failed;
  });
  const numRuns = o.numRuns ?? (o.timeMs !== undefined ? Number.MAX_SAFE_INTEGER : 100);
  const first = fc.check(property, { seed, numRuns, ...(o.timeMs !== undefined ? { interruptAfterTimeLimit: o.timeMs } : {}) });
  if (!first.failed || first.counterexample === null) {
    return { status: 'clean', seed, cases, unsupported, elapsedMs: performance.now() - t0, interrupted: first.interrupted };
  }
  // Phase 2: finish shrinking from where phase 1 stopped (a no-op if it had already finished).
  phase = 'shrink';
  const shrinkMs = o.shrinkTimeMs ?? 60_000;
  const second = fc.check(property, { seed, path: first.counterexamplePath, numRuns: 1, interruptAfterTimeLimit: shrinkMs });
  const final = second.failed && second.counterexample !== null ? second : first;
  // Phase 3: structural simplifications fast-check's per-field shrinking cannot reach.
  const simple = simplifyFailure(final.counterexample![0] as AttentionCase, run, shrinkMs);
  return {
    status: 'failed',
    seed,
    path: final.counterexamplePath!,
    cases,
    unsupported,
    numShrinks: first.numShrinks + (final === second ? second.numShrinks : 0),
    elapsedMs: performance.now() - t0,
    original: original ?? simple.case,
    shrunk: p.check(simple.case),
    simplified: simple.steps,
  };
}

export function searchFailure(o: SearchOptions): SearchResult {
  return runSearch<CaseCheck>(o, {
    check: (c) => checkCase(c, o.kernel),
    failed: (check) => isFailure(check.verdict),
    unsupported: (check) => check.verdict.status === 'unsupported',
  });
}
