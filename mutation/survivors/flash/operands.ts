/** Survivors of the full run in kernels/flash/operands.ts (cutting operands, loading tiles), read against the code. */
import type { SurvivorRule } from '../rule.js';

const file = 'kernels/flash/operands.ts';

/**
 * Whether a block is an Operand with per-head copies only decides how bmm runs its product on wasm
 * (one 2-D product per head, or one batched tf.matMul of the same numbers). The copies guard against
 * XNNPACK reusing the packing of one data id under two shapes (blocks.ts); with one of Q, Qᵀ, K, Kᵀ, V
 * left uncopied, no data id is packed under two shapes, since each block is the second operand of one
 * product shape only. Checked by hand on each of 102, 103, 108 and 110: replay of B1 H1 Sq2 Sk2 D=Dv=1
 * (where blocks.ts's all-copies-off mutant aborts the wasm module), B1 Hq2 Hkv1 Sq3 Sk2 D=Dv=1 and
 * B1 H1 Sq2 Sk3 D=Dv=1 on wasm: all pass.
 */
const HEADS =
  'a block made an Operand or not (per-head copies for XNNPACK on wasm): bmm computes the same product ' +
  'either way, and no data id is packed under two shapes (replayed B1 H1 Sq2 Sk2 D=Dv=1 on wasm: passes)';

/**
 * As backward.ts: cutOperands runs inside the tidy of the call (forward) or of the gradient (backward), and
 * check's leak test (tensors alive after a second run of a case) passed on all 100 cases of each mutant.
 */
const MEMORY_ONLY =
  "a block's disposal dropped or emptied (or handed a string, which dispose skips): the blocks are freed " +
  'when the tidy of the call or of the gradient ends (no leak past the call); only peak memory grows, ' +
  'which check does not judge';

/**
 * Q through the contract is always finite (junk goes into K and V only, src/data/attention.ts), and a
 * query row that sees nothing in a partial tile has masked scores (where(bits, S, -inf) ignores the
 * product), P = 0 and dT = 0 exactly, so its unzeroed Q adds 0·q = 0 to dK. Replayed with rows left
 * unzeroed: B2 Hq2 Hkv1 Sq5 Sk4 causal, keyLengths [4, 2], NaN junk, large values, softcap, bias,
 * dropout; a masked, left-padded top-left case with ALiBi and sinks; a window with D = 1: all pass.
 */
const ROWS =
  'query rows that see nothing in the tile left unzeroed: Q is finite in every contract input (junk ' +
  'goes into K and V only), their scores are masked to -inf whatever the product, and dT = 0 there, so ' +
  'dK gets 0·q = 0';

/**
 * permute reshapes when the non-unit dims keep their order and transposes otherwise. The survivors test
 * every dim as non-unit, or make the order test fail for two or more non-unit dims: permute then
 * transposes where it reshaped (with at most one non-unit dim the reshape is kept, and it is exact).
 */
const PERMUTE =
  "permute's reshape shortcut (only size-1 dims move) taken less often: tf.transpose gives the same " +
  'tensor, as a copy; only memory and time change';

export const OPERANDS_SURVIVORS: readonly SurvivorRule[] = [
  { file, lines: [102, 110], mutant: /^BooleanLiteral/, kind: 'equivalent', why: HEADS },
  {
    file,
    lines: [114, 114],
    mutant: /^ConditionalExpression false$/,
    kind: 'equivalent',
    why:
      "the forward's K blocks not disposed after their transposes are made: freed by the tidy of the call " +
      '(no leak past it); memory only',
  },
  { file, lines: [115, 118], mutant: /^(BlockStatement|ArrayDeclaration)/, kind: 'equivalent', why: MEMORY_ONLY },
  {
    file,
    lines: [158, 158],
    mutant: /^(ConditionalExpression|EqualityOperator)/,
    kind: 'equivalent',
    why:
      'a zeroed operand given per-head copies or not regardless of the original (heads === null -> true, ' +
      `false, !==): ${HEADS}`,
  },
  {
    file,
    lines: [178, 180],
    mutant: /^(BlockStatement \{\}|ConditionalExpression false)$/,
    kind: 'equivalent',
    why: ROWS,
  },
  {
    file,
    lines: [185, 185],
    mutant: /^ConditionalExpression false$/,
    kind: 'equivalent',
    why:
      "the forward's Kᵀ not zeroed at keys no row of the tile sees: their score columns are masked to -inf " +
      'by where whatever NaN or huge junk the product put there, and V is zeroed there on its own ' +
      '(replayed with NaN junk and padding: passes)',
  },
  {
    file,
    lines: [193, 193],
    mutant: /^(ConditionalExpression true|EqualityOperator cfg\.dropout\.p >= 0)$/,
    kind: 'equivalent',
    why:
      'dropout.p > 0 -> true or >= 0: every caller (adapter, flashAttnFunc, varlen) passes dropout null ' +
      'when p = 0, and kvcache always null, so a non-null dropout has p > 0',
  },
  {
    file,
    lines: [255, 255],
    mutant: /^EqualityOperator h <= N$/,
    kind: 'equivalent',
    why: 'transposeHeads runs a head h = N too: it reads past x and writes past out, which a Float32Array ignores',
  },
  {
    file,
    lines: [256, 256],
    mutant: /^EqualityOperator c <= m$/,
    kind: 'equivalent',
    why:
      "transposeHeads' column c = m writes row 0 of head h + 1 (or past the end, ignored), which head h + 1 " +
      'then overwrites with its own value: the loops run heads in order',
  },
  {
    file,
    lines: [265, 265],
    mutant: /^(MethodExpression perm|ConditionalExpression true)$/,
    kind: 'equivalent',
    why: PERMUTE,
  },
  {
    file,
    lines: [266, 266],
    mutant:
      /^(ArrowFunction|ConditionalExpression false|LogicalOperator|ArithmeticOperator|EqualityOperator (n !==|.* <=))/,
    kind: 'equivalent',
    why: PERMUTE,
  },
];
