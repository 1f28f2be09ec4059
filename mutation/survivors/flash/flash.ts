/** Survivors of the full run in kernels/flash/flash.ts (option checks, callOf), each read against the code. */
import type { SurvivorRule } from '../rule.js';

const file = 'kernels/flash/flash.ts';

/*
 * Who reaches resolveCommon and callOf: the contract adapter calls resolveCommon({ Br, Bc }) for the
 * block sizes only (the case's, or 256) and passes the contract's window, precision, dropout and
 * softcap to the core itself; the training suite's transformers path (transformers.ts, varlen.ts)
 * calls flashAttnFunc / flashAttnVarlenFunc with softmaxScale = call.scaling, causal = call.isCausal,
 * dropoutP, dropoutSeed and precision, never windowSize, softcap or Br/Bc. The training model
 * (src/training/model/model.ts) always has isCausal true, scaling 1/sqrt(Dh) and attention dropout
 * 0 or 0.1. kvcache.ts calls the core directly.
 */
export const FLASH_FILE_SURVIVORS: readonly SurvivorRule[] = [
  {
    file,
    lines: [87, 88],
    kind: 'equivalent',
    why:
      'the Br / Bc check weakened or off: every block size a built-in path gives is a positive integer ' +
      "(the case's Br, Bc, or 256), so no valid call fails it",
  },
  {
    file,
    lines: [90, 90],
    kind: 'equivalent',
    why:
      'the dropout check weakened or off: every p a built-in path gives is in [0, 1) (the adapter none, ' +
      "the training model's attention dropout 0 or 0.1), so no valid call fails it",
  },
  {
    file,
    lines: [91, 91],
    kind: 'blind-spot',
    why:
      'the default window [-1, -1] -> [-1, 1]: a right bound of 1 is inside the causal diagonal, and the ' +
      'training model is always causal; a non-causal AttentionCall (isCausal false, e.g. B1 S3 unpadded) ' +
      'would let query i see only keys <= i + 1, but the training suite never draws one',
  },
  {
    file,
    lines: [92, 92],
    kind: 'equivalent',
    why:
      'the windowSize check weakened or off: no built-in path passes windowSize, and the default [-1, -1] ' +
      'passes every version of it',
  },
  {
    file,
    lines: [95, 95],
    mutant: /^ConditionalExpression false$/,
    kind: 'equivalent',
    why:
      'no window read as [-1, -1] instead of null: the tile plan bounds nothing for -1, so the intervals ' +
      'and tiles are the same (a fully visible tile is ALL either way)',
  },
  {
    file,
    lines: [95, 95],
    kind: 'unreachable',
    why:
      'the null-window test: for the default [-1, -1] every mutant still gives null or [-1, -1] (no bound); ' +
      'they differ only for a windowSize, which no built-in path passes (the adapter gives the plan the ' +
      "contract's window itself)",
  },
  {
    file,
    lines: [96, 96],
    mutant: /^LogicalOperator/,
    kind: 'blind-spot',
    why:
      'precision ?? -> &&: the training path computes in float32 whatever precision it is asked to emulate; ' +
      'its answers are closer to float64, and the oracle, one-sided (error within the low-precision ' +
      'allowance), cannot see a kernel that skips the rounding the contract asks for',
  },
  {
    file,
    lines: [96, 96],
    kind: 'unreachable',
    why:
      "the default precision: the adapter discards resolveCommon's precision and the training path always " +
      'passes one (AttentionCall.precision is required), so no built-in path reads the default',
  },
  {
    file,
    lines: [113, 113],
    kind: 'blind-spot',
    why:
      'softmaxScale ?? -> &&: a given scale is replaced by 1/sqrt(D); the training model always passes ' +
      'scaling = 1/sqrt(Dh), the default itself, so only an AttentionCall with another scaling (Gemma-style ' +
      'query_pre_attn_scalar) shows it, which the training suite never draws',
  },
  {
    file,
    lines: [118, 118],
    kind: 'equivalent',
    why: "paddingSide 'right' -> '': callOf has no key lengths, and the tile plan reads the side only with them",
  },
  {
    file,
    lines: [123, 123],
    kind: 'equivalent',
    why:
      'a dropout of p = 0 passed as { p: 0 } instead of null: loadTile draws a dropout multiplier only for ' +
      'p > 0, and nothing else reads it',
  },
  {
    file,
    lines: [125, 125],
    kind: 'unreachable',
    why:
      "flashAttnFunc's softcap option: no built-in path passes one (the adapter gives the core the " +
      "contract's softcap itself), and undefined or null both mean none",
  },
  {
    file,
    lines: [126, 126],
    kind: 'unreachable',
    why:
      "flashAttnFunc's alibiSlopes option (?? -> &&: a given one dropped): no built-in path passes one (the " +
      "adapter gives the core the contract's slopes itself), and undefined or null both mean none",
  },
];
