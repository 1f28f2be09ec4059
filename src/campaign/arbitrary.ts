/** A target's case arbitrary: its suite's, under its constraints; made once per suite and constraints. */
import type fc from 'fast-check';
import { SUITE_OF, type AnyCase } from '../runner/index.js';
import type { Target } from './stream.js';

const made = new Map<string, fc.Arbitrary<AnyCase>>();

export function arbitraryOf(t: Target): fc.Arbitrary<AnyCase> {
  const key = `${t.suite} ${JSON.stringify(t.constraints ?? null)}`;
  let a = made.get(key);
  if (!a) made.set(key, (a = SUITE_OF[t.suite].arbitrary(t.constraints) as fc.Arbitrary<AnyCase>));
  return a;
}
