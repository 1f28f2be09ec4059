/**
 * The one search, for every suite and any number of backends: the property "the kernel passes
 * the oracle" (check.ts) over the suite's arbitrary, until a failure or the end of the budget,
 * then shrinking to a minimal failing case.
 *
 * Budget: `numRuns` cases and/or `timeMs`. fast-check's `interruptAfterTimeLimit` also interrupts
 * shrinking, so the search is three phases: (1) generate for at most `timeMs`; (2) on a failure,
 * resume from its replay path (`{ seed, path }`) to finish shrinking within `shrinkTimeMs`;
 * (3) the structural pass (simplify.ts) within the same constraints. Every phase is deterministic
 * given the seed: same seed, same sequence of cases. The kernel's declarations aim the arbitrary and
 * bound the structural pass alike (`suite.aim`: the attention suite's tiles and junk).
 *
 * The predicate is async (a host kernel's answer is awaited), but a tfjs kernel's case runs
 * synchronously from start to end (tfjs cpu/wasm read back with dataSync; several backends are
 * switched synchronously), so progress is reported from inside the predicate, throttled, rather than
 * from a timer that might not get to run.
 */
import fc from 'fast-check';
import type { AnyBackend } from '../backend/index.js';
import { isFailure } from '../oracle/index.js';
import { type CaseCheck, checkCase } from './check.js';
import type { KernelUnderTest } from './kernelUnderTest.js';
import { simplifyFailure } from './simplify.js';
import { type AnyCase, type CaseKind, SUITE_OF } from './suites/index.js';

export interface SearchOptions {
  /** Which kind of case to generate. */
  readonly suite: Exclude<CaseKind, 'upstream'>;
  readonly kernel: KernelUnderTest;
  /** The suite's case constraints (AttentionCaseConstraints, LoraCaseConstraints, TrainingCaseConstraints). */
  readonly constraints?: unknown;
  /** Backends each case runs on (initialised beforehand); default the active one. */
  readonly backends?: readonly AnyBackend[];
  /** fast-check seed; default from the clock (reported, so any run can be replayed). */
  readonly seed?: number;
  /**
   * fast-check path to start from (default: the first case of `seed`): with numRuns 1, the one
   * case at `{ seed, path }` (a campaign's case i; src/campaign/stream.ts).
   */
  readonly path?: string;
  /** Case budget; default: unbounded when timeMs is given, else 100. */
  readonly numRuns?: number;
  /** Time budget of the generation phase in ms. */
  readonly timeMs?: number;
  /** Time budget of shrinking (and of the structural pass) in ms; default 60 s. */
  readonly shrinkTimeMs?: number;
  /** Called as each case starts (before the kernel runs: a watchdog can say which case hung). */
  readonly onCaseStart?: (c: AnyCase) => void;
  /** Called with every case checked (in order), and its result. */
  readonly onCase?: (check: CaseCheck, phase: SearchPhase) => void;
  /** Called at most every `progressMs` with counts so far. */
  readonly onProgress?: (p: SearchProgress) => void;
  readonly progressMs?: number;
}

export type SearchPhase = 'search' | 'shrink';

export interface SearchProgress {
  readonly phase: SearchPhase;
  readonly cases: number;
  readonly unsupported: number;
  readonly elapsedMs: number;
  readonly casesPerSecond: number;
}

export type SearchResult =
  | {
      readonly status: 'clean';
      readonly seed: number;
      readonly cases: number;
      readonly unsupported: number;
      readonly elapsedMs: number;
      readonly interrupted: boolean;
    }
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
      readonly original: AnyCase;
      /** The minimal failing case, re-checked (its verdict, tensors, reference). */
      readonly shrunk: CaseCheck;
      /**
       * Steps of the structural pass after fast-check's shrinking; when non-empty, `path` replays
       * the case before these steps and the saved case is the final one.
       */
      readonly simplified: readonly string[];
      /** true when the structural pass reached a case no simpler neighbour of which fails (within its budget). */
      readonly locallyMinimal: boolean;
      /**
       * The WebAssembly trap (`RuntimeError: memory access out of bounds`) the kernel died of, when it
       * did: the search stopped shrinking there (see WASM_TRAP), so `shrunk` is the case that trapped.
       */
      readonly trapped?: string;
    };

/**
 * A WebAssembly trap (WebAssembly.RuntimeError: memory access out of bounds, unreachable, ...) in a
 * kernel, e.g. inside tfjs-wasm. After one, the module's memory may be corrupt and every later call
 * into it can fail for no reason of its own: a search that kept shrinking would hand back whatever
 * small case came next (B = Sq = Sk = D = 1 every time). So no case after a trap is evidence: the
 * search keeps the case that trapped, unshrunk, and says so (replay it alone, in a fresh process).
 */
const WASM_TRAP = /^RuntimeError: /;

export async function search(o: SearchOptions): Promise<SearchResult> {
  const suite = SUITE_OF[o.suite];
  const seed = o.seed ?? Date.now() % 0x7fffffff;
  // What the kernel declares (its tiles, what it promises about unseen keys) aims the generator.
  const constraints = suite.aim ? suite.aim(o.constraints, o.kernel) : o.constraints;
  const arb = suite.arbitrary(constraints) as fc.Arbitrary<AnyCase>;
  const t0 = performance.now();
  let cases = 0;
  let unsupported = 0;
  let phase: SearchPhase = 'search';
  let lastProgress = t0;
  let original: AnyCase | null = null;
  const progressMs = o.progressMs ?? 1000;
  const check = (c: AnyCase) => checkCase(c, o.kernel, { backends: o.backends });
  let trap: { readonly message: string; readonly check: CaseCheck } | null = null;
  const run = async (c: AnyCase): Promise<boolean> => {
    // After a trap nothing this process runs is evidence: every later candidate counts as passing,
    // so fast-check and the structural pass keep the case that trapped.
    if (trap !== null) return false;
    o.onCaseStart?.(c);
    const result = await check(c);
    cases++;
    if (result.verdict.status === 'unsupported') unsupported++;
    if (result.verdict.status === 'threw' && WASM_TRAP.test(result.verdict.message)) {
      trap = { message: result.verdict.message, check: result };
    }
    o.onCase?.(result, phase);
    const now = performance.now();
    if (o.onProgress && now - lastProgress >= progressMs) {
      lastProgress = now;
      const elapsedMs = now - t0;
      o.onProgress({ phase, cases, unsupported, elapsedMs, casesPerSecond: (cases * 1000) / elapsedMs });
    }
    return isFailure(result.verdict);
  };
  const property = fc.asyncProperty(arb, async (c) => {
    const failed = await run(c);
    if (failed && original === null) original = c;
    return !failed;
  });
  const numRuns = o.numRuns ?? (o.timeMs !== undefined ? Number.MAX_SAFE_INTEGER : 100);
  const first = await fc.check(property, {
    seed,
    numRuns,
    ...(o.path !== undefined ? { path: o.path } : {}),
    ...(o.timeMs !== undefined ? { interruptAfterTimeLimit: o.timeMs } : {}),
  });
  if (!first.failed || first.counterexample === null) {
    return {
      status: 'clean',
      seed,
      cases,
      unsupported,
      elapsedMs: performance.now() - t0,
      interrupted: first.interrupted,
    };
  }
  // Phase 2: finish shrinking from where phase 1 stopped (a no-op if it had already finished).
  phase = 'shrink';
  const shrinkMs = o.shrinkTimeMs ?? 60_000;
  const second = await fc.check(property, {
    seed,
    path: first.counterexamplePath!,
    numRuns: 1,
    interruptAfterTimeLimit: shrinkMs,
  });
  const final = second.failed && second.counterexample !== null ? second : first;
  // Phase 3: structural simplifications fast-check's per-field shrinking cannot reach.
  const simple = await simplifyFailure(
    final.counterexample![0] as AnyCase,
    run,
    suite.neighbours,
    (c) => suite.admits(constraints, c),
    shrinkMs,
  );
  // Set inside `run` (TypeScript does not follow assignments made in callbacks).
  const trapped = trap as { readonly message: string; readonly check: CaseCheck } | null;
  return {
    status: 'failed',
    seed,
    path: final.counterexamplePath!,
    cases,
    unsupported,
    numShrinks: first.numShrinks + (final === second ? second.numShrinks : 0),
    elapsedMs: performance.now() - t0,
    original: original ?? simple.case,
    // The case that trapped is not checked again: the module it would run in may be corrupt.
    shrunk: trapped?.check ?? (await checkCase(simple.case, o.kernel, { backends: o.backends, explain: true })),
    simplified: simple.steps,
    locallyMinimal: simple.complete,
    ...(trapped !== null ? { trapped: trapped.message } : {}),
  };
}
