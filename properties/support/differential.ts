/**
 * The differential relation: the kernel passes the core's oracle on a case of any kind (attention,
 * LoRA, training step), judged by the one check (src/runner `checkCase`: the float64 reference and
 * the same-precision baseline). A failure carries the check, so the engine prints the core's repro
 * and a can-fail test can assert the verdict:
 *
 *   holds(attentionCase(), matchesReference('flash'), 25);
 *   expect(failsOn(cases, matchesReference(broken), 10).check!.verdict).toMatchObject({ status: 'mismatch', failing: {
 * tensor: 'dv' } });
 */
import type { AttentionKernel } from '../../src/contract/index.js';
import { formatVerdict, isFailure } from '../../src/oracle/index.js';
import { type AnyCase, type BuiltinKernelName, checkCase, type KernelUnderTest } from '../../src/runner/index.js';
import type { Relation } from './engine.js';
import { underTest } from './run.js';

/** The kernel passes the oracle (pass, or unsupported: a declined case is skipped, not failed). */
export function matchesReference<C extends AnyCase>(
  k: BuiltinKernelName | AttentionKernel | KernelUnderTest,
): Relation<C> {
  const kernel = underTest(k);
  return async (c) => {
    const check = await checkCase(c, kernel);
    return isFailure(check.verdict) ? { lines: formatVerdict(check.verdict), check } : null;
  };
}
