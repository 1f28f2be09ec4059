/** Survivors of the full run in kernels/flash/kvcache.ts (KV-cache decode), each read against the code. */
import type { SurvivorRule } from '../rule.js';

const file = 'kernels/flash/kvcache.ts';

export const KVCACHE_SURVIVORS: readonly SurvivorRule[] = [
  {
    file,
    lines: [22, 22],
    kind: 'equivalent',
    why: "the decode kernel's name (flash-decode), a label in reports",
  },
  {
    file,
    lines: [64, 64],
    column: 52,
    mutant: /^StringLiteral ""$/,
    kind: 'equivalent',
    why:
      "causal 'none' -> '': the tile plan then classifies every tile, and with no causal, window, key lengths " +
      'or mask each row sees every key, so every tile is ALL, as the unrestricted plan returns',
  },
  {
    file,
    lines: [67, 67],
    kind: 'equivalent',
    why: "paddingSide 'right' -> '': tiles.ts reads it only when keyLengths is set, and decode passes null",
  },
  {
    file,
    lines: [78, 78],
    mutant: /^ConditionalExpression false$/,
    kind: 'equivalent',
    why: 'the one-row shortcut off: tf.concat of a single [1, Hq, Sq, Dv] row along axis 0 is that row',
  },
];
