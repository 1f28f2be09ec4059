/** Survivors of the full run in kernels/flash/transformers.ts (a model's flash path), each read against the code. */
import type { SurvivorRule } from '../rule.js';

const file = 'kernels/flash/transformers.ts';

export const TRANSFORMERS_SURVIVORS: readonly SurvivorRule[] = [
  {
    file,
    lines: [27, 27],
    mutant: /^ConditionalExpression false$/,
    kind: 'equivalent',
    why:
      'the no-padding shortcut off: varlenOf then makes each row one sequence, and varlen runs row b as its own ' +
      'flash call with the same scale, causal (Sq = Sk: both diagonals agree), precision and dropout counter ' +
      '(batchOffset b), so every row gets the answer flashAttnFunc gives it',
  },
  {
    file,
    lines: [41, 41],
    mutant: /^UnaryOperator/,
    kind: 'equivalent',
    why:
      'padded positions read output row 1 instead of a zero row: nothing at a token position reads a padded ' +
      'one (varlen leaves padding out of every later layer, the loss ignores it, so its gradient is exactly 0) ' +
      'and the oracle judges logits at token positions only',
  },
];
