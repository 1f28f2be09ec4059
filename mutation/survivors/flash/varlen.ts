/** Survivors of the full run in kernels/flash/varlen.ts (flash_attn_varlen_func), each read against the code. */
import type { SurvivorRule } from '../rule.js';

const file = 'kernels/flash/varlen.ts';

/** The only caller through a contract: transformers.ts, with cu_seqlens from varlenOf. */
const NO_EMPTY =
  'only for an empty sequence (two equal cu_seqlens entries): the training suite reaches varlen through ' +
  'transformers.ts alone, whose varlenOf emits one sequence per run of tokens, never an empty one';

export const VARLEN_SURVIVORS: readonly SurvivorRule[] = [
  {
    file,
    lines: [39, 39],
    mutant: /^EqualityOperator len <= 0$/,
    kind: 'unreachable',
    why: `cu_seqlens check len < 0 -> len <= 0 rejects a valid call ${NO_EMPTY}`,
  },
  {
    file,
    lines: [32, 32],
    kind: 'equivalent',
    why: "checkCu's message prefix, read only by the messages of checks no valid call fails",
  },
  {
    file,
    lines: [31, 43],
    mutant: /^(BlockStatement|ConditionalExpression false|LogicalOperator|EqualityOperator b >= batch)/,
    kind: 'equivalent',
    why:
      'a cu_seqlens check off or weakened (its body or loop emptied, a condition false, || -> &&, the loop ' +
      'never entered): no valid call fails it (transformers.ts builds cu_seqlens from varlenOf)',
  },
  {
    file,
    lines: [58, 59],
    kind: 'equivalent',
    why: "the name 'cuSeqlensQ' / 'cuSeqlensK' checkCu puts in messages of checks no valid call fails",
  },
  {
    file,
    lines: [60, 60],
    mutant: /^LogicalOperator/,
    kind: 'blind-spot',
    why:
      'softmaxScale ?? default -> &&: a given scale is replaced by 1/sqrt(D), wrong for any model whose ' +
      'scaling is not 1/sqrt(Dh) (Gemma 2 query_pre_attn_scalar, Granite attention_multiplier); the training ' +
      "suite's model always passes scaling = 1/sqrt(Dh), so it cannot tell; fix: draw the model's scaling",
  },
  {
    file,
    lines: [68, 69],
    mutant: /^ConditionalExpression false$/,
    kind: 'unreachable',
    why: `the lenQ = 0 / lenK = 0 shortcut off: it changes the answer ${NO_EMPTY}`,
  },
  {
    file,
    lines: [81, 81],
    kind: 'equivalent',
    why: "paddingSide 'right' -> '': tiles.ts reads it only when keyLengths is set, and varlen passes null",
  },
  {
    file,
    lines: [86, 86],
    mutant: /^(ConditionalExpression true|EqualityOperator r\.p >= 0)$/,
    kind: 'equivalent',
    why:
      'a dropout { p: 0 } built where null was: operands.ts applies dropout only when p > 0 (and dropoutKeep ' +
      'keeps every weight at p = 0), so no tile is multiplied',
  },
  {
    file,
    lines: [91, 91],
    mutant: /^ConditionalExpression false$/,
    kind: 'unreachable',
    why:
      'the no-output shortcut off: outs is empty only when every sequence has lenQ = 0, and varlenOf never ' +
      'emits an empty sequence (a padded or packed batch has at least one token per sequence)',
  },
];
