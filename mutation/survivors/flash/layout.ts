/** Survivors of the full run in kernels/flash/layout.ts (shape checks and layouts), each read against the code. */
import type { SurvivorRule } from '../rule.js';

const file = 'kernels/flash/layout.ts';

export const LAYOUT_SURVIVORS: readonly SurvivorRule[] = [
  {
    file,
    lines: [50, 53],
    mutant: /^(ConditionalExpression false|LogicalOperator)/,
    kind: 'equivalent',
    why:
      'a shape check of dimsOf off or weakened (batch, head dim, v against k, Hq % Hkv): only a call with ' +
      'inconsistent shapes fails it, and no valid call through any suite has them',
  },
  {
    file,
    lines: [64, 66],
    mutant: /^ConditionalExpression true$/,
    kind: 'equivalent',
    why: 'the ALiBi slopes shape check (or a term of it) always true: no valid call fails it',
  },
  {
    file,
    lines: [65, 66],
    mutant: /^LogicalOperator/,
    kind: 'equivalent',
    why:
      'the ALiBi slopes shape check weakened (&& -> || within a shape): it admits more shapes, but valid slopes ' +
      '([Hq] or [B, Hq], the only ones the contract passes) pass either way and are used the same',
  },
  {
    file,
    lines: [67, 67],
    mutant: /^ConditionalExpression false$/,
    kind: 'equivalent',
    why: 'the ALiBi slopes shape check off: no valid call fails it',
  },
];
