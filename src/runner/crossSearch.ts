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
import type { BackendName } from '../backend/index.js';
import { crossCheckCase, isCrossFailure, prepareBackends, type CrossCheck } from './crossCheck.js';
import type { KernelUnderTest } from './kernels.js';
import { runSearch, type SearchBudget, type SearchOutcome } from './search.js';

export * from './crossCheck.js';

/** The budget and callbacks of any search (search.ts), plus the kernel and its backends. */
export type CrossSearchOptions = SearchBudget<CrossCheck> & {
  readonly kernel: KernelUnderTest;
  /** At least two, in the order they run and are reported. */
  readonly backends: readonly BackendName[];
};

export type CrossSearchResult = SearchOutcome<CrossCheck>;

/** Throws BackendUnavailableError (from src/backend) if a listed backend cannot be loaded. */
export async function searchCrossBackend(o: CrossSearchOptions): Promise<CrossSearchResult> {
  if (o.backends.length < 2) throw new Error(`cross-backend: needs at least two backends, got [${o.backends.join(', ')}]`);
  await prepareBackends(o.backends);
  return runSearch<CrossCheck>(o, {
    check: (c) => crossCheckCase(c, o.kernel, o.backends),
    failed: (check) => isCrossFailure(check.verdict),
    unsupported: (check) => check.verdict.status === 'unsupported',
  });
}
