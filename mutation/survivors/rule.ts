/**
 * One explanation of surviving mutants: a file, a range of lines and, where a line holds mutants of
 * different kinds, the mutator and replacement (mutation/classification.ts applies the rules).
 */
import type { Classification } from '../summary.js';

export interface SurvivorRule extends Classification {
  /** From the repository root: kernels/flash/adapter.ts. */
  readonly file: string;
  /** First and last line (1-based, inclusive) where the mutant starts. */
  readonly lines: readonly [number, number];
  /** Matched against `Mutator replacement` when the lines hold mutants of different kinds. */
  readonly mutant?: RegExp;
  /** The column (1-based) where the mutant starts, when one line holds two alike mutants of different kinds. */
  readonly column?: number;
}
