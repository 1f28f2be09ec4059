/**
 * The harness on default `check` cases: how many cases/s the one check gets through for a kernel,
 * and where a case's time goes (materialising the tensors from seeds, the float64 reference, the
 * kernel under test, the same-precision baseline with the tolerances, judging). The cases are the
 * ones `check` draws (the attention suite's arbitrary, aimed at the kernel as the search aims it);
 * the first few warm the JIT and the backend and are not counted.
 */
import fc from 'fast-check';
import { activeBackend, type BackendName, type PageBackendName } from '../backend/index.js';
import { formatAdapter } from '../execute/index.js';
import { type AnyCase, checkCase, noTimings, SUITE_OF, type WithPages } from '../runner/index.js';
import type { HarnessProfile } from './types.js';

const WARM_UP = 20;

export async function profileHarness(
  k: WithPages,
  cases: number,
  seed: number,
  constraints?: Record<string, unknown>,
  /** A page backend to run the kernel's twin on (`withPages`); default the active tfjs backend. */
  page?: PageBackendName,
): Promise<HarnessProfile> {
  const on = page ? { backends: [page] } : {};
  const suite = SUITE_OF.attention;
  const arb = suite.arbitrary(suite.aim ? suite.aim(constraints, k) : constraints) as fc.Arbitrary<AnyCase>;
  const drawn = fc.sample(arb, { seed, numRuns: WARM_UP + cases });
  for (const c of drawn.slice(0, WARM_UP)) await checkCase(c, k, on);
  const timings = noTimings();
  const t0 = performance.now();
  for (const c of drawn.slice(WARM_UP)) await checkCase(c, k, { ...on, timings });
  const seconds = (performance.now() - t0) / 1000;
  const total = Object.values(timings).reduce((a, b) => a + b, 0) || 1;
  const share = (x: number) => x / total;
  return {
    kernel: k.label,
    backend: page ?? (activeBackend() as BackendName),
    ...(page && k.pages?.[page] ? { adapter: formatAdapter(k.pages[page].adapter) } : {}),
    cases,
    casesPerSecond: cases / seconds,
    shares: {
      materialise: share(timings.materialise),
      reference: share(timings.reference),
      kernel: share(timings.kernel),
      baseline: share(timings.baseline),
      judge: share(timings.judge),
    },
  };
}
