/**
 * A target's case arbitrary: exactly the one the one search draws from for that kernel, so case i
 * of a campaign is the case `search({ seed, path })` starts from when it shrinks it. That is the
 * suite's arbitrary under the target's constraints, aimed by the kernel when the suite aims (a
 * kernel's declared tiles and what it promises about unseen keys), as search does. Made once per
 * suite and effective constraints.
 */
import type fc from 'fast-check';
import { type AnyCase, type KernelUnderTest, SUITE_OF } from '../runner/index.js';
import type { Target } from './stream.js';

const made = new Map<string, fc.Arbitrary<AnyCase>>();

/** The suite stage that aims constraints at a kernel, where the suite has one. */
type Aim = (constraints: unknown, kernel: KernelUnderTest) => unknown;

export function arbitraryOf(t: Target, kernel: KernelUnderTest): fc.Arbitrary<AnyCase> {
  const suite = SUITE_OF[t.suite];
  const aim = (suite as { aim?: Aim }).aim;
  const constraints = aim ? aim.call(suite, t.constraints, kernel) : t.constraints;
  const key = `${t.suite} ${JSON.stringify(constraints ?? null)}`;
  let a = made.get(key);
  if (!a) made.set(key, (a = suite.arbitrary(constraints) as fc.Arbitrary<AnyCase>));
  return a;
}
