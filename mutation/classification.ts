/**
 * Every survivor of the full run, explained: `equivalent` (no input can tell the mutant from the
 * original: why) or `blind-spot` (a bug attnfuzz should find and did not: what was done about it).
 * Keyed by the mutant's key (store.ts `mutantKey`: file:line:col-line:col Mutator replacement), as
 * the run prints it. Equivalent mutants leave both scores' denominators.
 */
import type { Classification } from './summary.js';

export const CLASSIFIED: Readonly<Record<string, Classification>> = {};

export function classify(key: string): Classification | null {
  return CLASSIFIED[key] ?? null;
}
