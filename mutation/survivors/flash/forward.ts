/** Survivors of the full run in kernels/flash/forward.ts (Algorithm 1), each read against the code. */
import type { SurvivorRule } from '../rule.js';

const file = 'kernels/flash/forward.ts';

/**
 * A dispose dropped: m, l, acc_o (or a tile's previous state) live until the tidy of the call
 * (flashAttentionWithLse, flashAttnFuncWithLse) ends. Checked by hand with forward.ts:100 emptied:
 * check --runs 40 --seed 1 --backend wasm clean, leakedTensors 0 (training, 10 cases: the same).
 */
const MEMORY_ONLY =
  "a dispose dropped or skipped: the answers are the same and the tensors are freed when the call's tidy " +
  'ends (no leak past the call); only peak memory grows, which check does not judge';

export const FORWARD_SURVIVORS: readonly SurvivorRule[] = [
  {
    file,
    lines: [98, 98],
    mutant: /^UnaryOperator \+Infinity$/,
    kind: 'equivalent',
    why:
      'the lse of a row with no visible key +inf instead of -inf (the backward maps both to +inf, so only ' +
      'the returned lse differs): the contract leaves that lse unjudged, because FlashAttention-2 itself ' +
      'writes +inf there without split-KV and -inf with it (src/contract/kernel.ts)',
  },
  { file, lines: [100, 100], kind: 'equivalent', why: MEMORY_ONLY },
  { file, lines: [131, 131], kind: 'equivalent', why: MEMORY_ONLY },
  {
    file,
    lines: [136, 136],
    mutant: /^UnaryOperator \+Infinity$/,
    kind: 'equivalent',
    why:
      'm of a query block with no visible key filled with +inf: with l = 0 the row is unseen, so the end ' +
      'takes m_safe = 0, O = 0 and lse = -inf from the where and never reads m (nor does the backward)',
  },
];
