/** Survivors of the full run in kernels/flash/blocks.ts (blocks, tile products), each read against the code. */
import type { SurvivorRule } from '../rule.js';

const file = 'kernels/flash/blocks.ts';

/**
 * The per-head copies off on wasm: a product's second operand is then the block itself, and tfjs-wasm
 * 4.22 caches XNNPACK's packing of it by data id, not shape. With one (batch, kv head) (N = B·Hkv = 1,
 * so the product goes to XNNPACK), one query block (Sq <= Br: the Q and dO blocks are reshapes of the
 * inputs) and D = 1 or Dv = 1 (cutBlocks' transposed block is then a reshape too), the backward uses
 * the same data as weights [1, G·Sq] (Qᵀ, dOᵀ) and [G·Sq, 1] (Q, dO): with G·Sq >= 2 the second
 * product reuses the first's packing. Checked by hand on the mutant bmm `if (true)`, one case per
 * process: B1 Hq1 Hkv1 Sq2 Sk2 D=Dv=1 (and D=1 Dv=4) abort the wasm module (memory access out of
 * bounds), D=4 Dv=1 gives dq off by 0.54, the grid's B1 Hq2 Hkv1 Sq3 Sk2 D=Dv=1 causal dq off by 0.13;
 * B=2, two query blocks (Sq3 Br2) or G·Sq = 1 pass. Of 100 attention cases of seed 1, 37 have N = 1
 * and 10 a head dim of 1, but the 3 with both have two query blocks or G·Sq = 1; training's head
 * dims are 2, 4 or 8; decode has no backward.
 */
const PACKING =
  'the per-head copies of second operands off on wasm: XNNPACK reuses the packing of a block [1, G·Sq] ' +
  'for its reshape [G·Sq, 1] (cached by data id), a wrong dq or a wasm abort when B·Hkv = 1, Sq <= Br, ' +
  'G·Sq >= 2 and D = 1 or Dv = 1 (B1 H1 Sq2 Sk2 D=Dv=1), which 100 cases of seed 1 never drew together';

/** Checked by hand with disposeOperands emptied: check --runs 40 --seed 1 --backend wasm clean, leakedTensors 0. */
const MEMORY_ONLY =
  "an operand's disposal dropped: its blocks and head copies are freed when the tidy of the call " +
  '(flashAttentionWithLse) or of the gradient ends; only peak memory grows, which check does not judge';

export const BLOCKS_SURVIVORS: readonly SurvivorRule[] = [
  {
    file,
    lines: [42, 42],
    mutant: /^ConditionalExpression false$/,
    kind: 'equivalent',
    why:
      'heads cut on every backend: on wasm that is what the code does anyway; elsewhere the per-head 2-D ' +
      'products compute the same sums as the one batched tf.matMul',
  },
  {
    file,
    lines: [42, 42],
    column: 42,
    mutant: /^ObjectLiteral \{\}$/,
    kind: 'unreachable',
    why:
      'the operand of a backend other than wasm emptied: the mutation checks run on wasm only (on cpu every ' +
      'call would throw at once)',
  },
  { file, lines: [42, 42], kind: 'blind-spot', why: PACKING },
  {
    file,
    lines: [45, 45],
    kind: 'blind-spot',
    why:
      'a single head cut by splitBlocks, which hands back a reshape of the block (same data id) instead of ' +
      `a copy: the XNNPACK packing cache bug again. ${PACKING}`,
  },
  {
    file,
    lines: [55, 55],
    mutant: /^ConditionalExpression true$/,
    kind: 'equivalent',
    why: 'op !== null always true: no caller passes a null (cutOperands and flashBackward pass Operands only)',
  },
  {
    file,
    lines: [55, 55],
    mutant: /^ArrayDeclaration \["Stryker was here"\]$/,
    kind: 'equivalent',
    why: 'a string in place of the missing heads: tf.dispose skips what is not a tensor and still frees op.t',
  },
  { file, lines: [54, 55], kind: 'equivalent', why: MEMORY_ONLY },
  {
    file,
    lines: [60, 60],
    mutant: /^ConditionalExpression false$/,
    kind: 'unreachable',
    why:
      "the tf.matMul branch for operands without heads: on wasm, the run's backend, operand() always cuts " +
      'heads, so no product reaches it (on cpu the mutant would throw at b.heads![h]: only a cpu run kills it)',
  },
  { file, lines: [60, 60], kind: 'blind-spot', why: PACKING },
  {
    file,
    lines: [64, 64],
    kind: 'equivalent',
    why:
      'one head split by splitBlocks, a reshape of a to its own shape: the same rows, and a first operand ' +
      '(XNNPACK packs only the second)',
  },
  {
    file,
    lines: [87, 87],
    kind: 'equivalent',
    why: 'a [N, n, 1] block transposed instead of reshaped to [N, 1, n]: the same values in the same order (a copy)',
  },
  {
    file,
    lines: [104, 104],
    kind: 'equivalent',
    why: 'tf.concat of a single piece, which tfjs answers with a clone: the same values',
  },
];
