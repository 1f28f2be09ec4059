/** Survivors of the full run in kernels/flash/backward.ts (Algorithm 2), each read against the code. */
import type { SurvivorRule } from '../rule.js';

const file = 'kernels/flash/backward.ts';

/**
 * A dispose dropped or emptied: the tensors live until the tidy of the gradient call ends instead of
 * at once. The answers are the same and nothing outlives the call (check --runs 40 with backward.ts:93
 * mutated by hand: clean, leakedTensors 0); only the peak memory grows, which bench measures and
 * check does not judge.
 */
const MEMORY_ONLY =
  'a dispose dropped or emptied: the answers are the same and the tensors are freed when the gradient ' +
  "call's tidy ends (no leak past the call); only peak memory grows, which check does not judge";

export const BACKWARD_SURVIVORS: readonly SurvivorRule[] = [
  {
    file,
    lines: [85, 85],
    mutant: /^BooleanLiteral false$/,
    kind: 'equivalent',
    why: "dSinks summed without keepDims: flash.ts reshapes it to the sinks' shape before returning it",
  },
  { file, lines: [93, 98], mutant: /^ArrayDeclaration/, kind: 'equivalent', why: MEMORY_ONLY },
  { file, lines: [136, 136], kind: 'equivalent', why: MEMORY_ONLY },
  {
    file,
    lines: [137, 137],
    mutant: /^ConditionalExpression true$/,
    kind: 'equivalent',
    why:
      'dBias !== null always true: a tile has a dBias whenever there is a bias; without one, add stores null ' +
      'and assemble returns null before reading the sums',
  },
  {
    file,
    lines: [188, 189],
    kind: 'equivalent',
    why: 'summing a bias gradient over a size-1 axis, or over no axis (tf.sum of [] axes), is the identity',
  },
  {
    file,
    lines: [194, 194],
    kind: 'equivalent',
    why: 'empty bias tiles start undefined instead of null: assemble reads them with ?? (zeros either way)',
  },
];
