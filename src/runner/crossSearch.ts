/**
 * The search behind `attnfuzz check --backends cpu,wasm`: the property "the kernel passes the
 * oracle on every listed backend, and no two backends disagree beyond the tolerance"
 * (crossCheck.ts) over fast-check's `attentionCase` arbitrary, until a failure or the end of the
 * budget, then shrinking: fast-check, then the structural pass (simplify.ts), as `searchFailure`.
 *
 * Every listed backend is initialised once up front (async); after that switching is synchronous,
 * so the property stays synchronous and the phases and their determinism are those of search.ts:
 * same seed, same sequence of cases, each run on the backends in the listed order.
 */
import fc from 'fast-check';
import type { BackendName } from '../backend/index.js';
import { attentionCase, type AttentionCase, type AttentionCaseConstraints } from '../case/index.js';
import { crossCheckCase, isCrossFailure, prepareBackends, type CrossCheck } from './crossCheck.js';
import type { KernelUnderTest } from './kernels.js';
import type { SearchProgress } from './search.js';
import { simplifyFailure } from './simplify.js';

export * from './crossCheck.js';

export interface CrossSearchOptions {
  readonly kernel: KernelUnderTest;
  /** At least two, in the order they run and are reported. */
  readonly backends: readonly BackendName[];
  /** fast-check seed; default Date.now() (reported, so any run can be replayed). */
  readonly seed?: number;
  /** Case budget; default: unbounded when timeMs is given, else 100. */
  readonly numRuns?: number;
  /** Time budget of the generation phase in ms. */
  readonly timeMs?: number;
  /** Time budget of shrinking in ms; default 60 s. */
  readonly shrinkTimeMs?: number;
  readonly constraints?: AttentionCaseConstraints;
  /** Called with every case checked (in order), and its result. */
  readonly onCase?: (check: CrossCheck, phase: 'search' | 'shrink') => void;
  /** Called at most every `progressMs` with counts so far. */
  readonly onProgress?: (p: SearchProgress) => void;
  readonly progressMs?: number;
}

export type CrossSearchResult =
  | { readonly status: 'clean'; readonly seed: number; readonly cases: number; readonly unsupported: number; readonly elapsedMs: number; readonly interrupted: boolean }
  | {
      readonly status: 'failed';
      readonly seed: number;
      /** fast-check's replay path of the case fast-check shrank to (before `simplified`). */
      readonly path: string;
      readonly cases: number;
      readonly unsupported: number;
      readonly numShrinks: number;
      readonly elapsedMs: number;
      /** The first failing case found, before shrinking. */
      readonly original: AttentionCase;
      /** The minimal failing case, re-checked on every backend. */
      readonly shrunk: CrossCheck;
      readonly simplified: readonly string[];
    };

/** Throws BackendUnavailableError (from src/backend) if a listed backend cannot be loaded. */
export async function searchCrossBackend(o: CrossSearchOptions): Promise<CrossSearchResult> {
  if (o.backends.length < 2) throw new Error(`cross-backend: needs at least two backends, got [${o.backends.join(', ')}]`);
  await prepareBackends(o.backends);
  const seed = o.seed ?? Date.now() % 0x7fffffff;
  const arb = attentionCase(o.constraints);
  const t0 = performance.now();
  let cases = 0;
  let unsupported = 0;
  let phase: 'search' | 'shrink' = 'search';
  let lastProgress = t0;
  let original: AttentionCase | null = null;
  const progressMs = o.progressMs ?? 1000;
  const run = (c: AttentionCase): CrossCheck => {
    const check = crossCheckCase(c, o.kernel, o.backends);
    cases++;
    if (check.verdict.status === 'unsupported') unsupported++;
    o.onCase?.(check, phase);
    const now = performance.now();
    if (o.onProgress && now - lastProgress >= progressMs) {
      lastProgress = now;
      const elapsedMs = now - t0;
      o.onProgress({ phase, cases, unsupported, elapsedMs, casesPerSecond: (cases * 1000) / elapsedMs });
    }
    return check;
  };
  const property = fc.property(arb, (c) => {
    const failed = isCrossFailure(run(c).verdict);
    if (failed && original === null) original = c;
    return !failed;
  });
  const numRuns = o.numRuns ?? (o.timeMs !== undefined ? Number.MAX_SAFE_INTEGER : 100);
  const first = fc.check(property, { seed, numRuns, ...(o.timeMs !== undefined ? { interruptAfterTimeLimit: o.timeMs } : {}) });
  if (!first.failed || first.counterexample === null) {
    return { status: 'clean', seed, cases, unsupported, elapsedMs: performance.now() - t0, interrupted: first.interrupted };
  }
  // Phase 2: finish shrinking from where phase 1 stopped; phase 3: the structural pass.
  phase = 'shrink';
  const shrinkMs = o.shrinkTimeMs ?? 60_000;
  const second = fc.check(property, { seed, path: first.counterexamplePath, numRuns: 1, interruptAfterTimeLimit: shrinkMs });
  const final = second.failed && second.counterexample !== null ? second : first;
  const simple = simplifyFailure(final.counterexample![0] as AttentionCase, (c) => isCrossFailure(run(c).verdict), shrinkMs);
  return {
    status: 'failed',
    seed,
    path: final.counterexamplePath!,
    cases,
    unsupported,
    numShrinks: first.numShrinks + (final === second ? second.numShrinks : 0),
    elapsedMs: performance.now() - t0,
    original: original ?? simple.case,
    shrunk: crossCheckCase(simple.case, o.kernel, o.backends),
    simplified: simple.steps,
  };
}
