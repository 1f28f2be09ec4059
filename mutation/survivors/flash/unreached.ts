/**
 * Mutants of kernels/flash that no check runs at all (Stryker's NoCoverage: the unmutated run of
 * every check never evaluated them), each read against the code. What reaches flash: the contract
 * adapter (attention and decode suites, valid calls only) and the training suite's transformers path,
 * whose model is always causal with scaling 1/sqrt(Dh) (src/training/model/model.ts).
 */
import type { SurvivorRule } from '../rule.js';

const ERROR_TEXT = 'the text of an error only an invalid call raises: every call a check makes is valid';
const ALWAYS_CAUSAL =
  "the non-causal branch of the transformers path ('none' when isCausal is false): the training model is " +
  'always causal, so no check evaluates it (the same gap as the blind spot at flash.ts:91)';

export const UNREACHED_SURVIVORS: readonly SurvivorRule[] = [
  { file: 'kernels/flash/flash.ts', lines: [93, 93], mutant: /^StringLiteral/, kind: 'unreachable', why: ERROR_TEXT },
  {
    file: 'kernels/flash/flash.ts',
    lines: [115, 115],
    column: 49,
    mutant: /^StringLiteral ""$/,
    kind: 'unreachable',
    why: ALWAYS_CAUSAL,
  },
  {
    file: 'kernels/flash/flash.ts',
    lines: [141, 155],
    kind: 'unreachable',
    why:
      'flashAttnFuncWithLse, a public function for users who merge attention over K/V chunks: no built-in ' +
      'target calls it (the adapter and kvcache.ts use flashAttentionWithLse), so no check reaches it',
  },
  {
    file: 'kernels/flash/layout.ts',
    lines: [41, 43],
    kind: 'unreachable',
    why: "fail's body: only an invalid call reaches it, and every call a check makes is valid",
  },
  { file: 'kernels/flash/layout.ts', lines: [50, 53], mutant: /^StringLiteral/, kind: 'unreachable', why: ERROR_TEXT },
  { file: 'kernels/flash/layout.ts', lines: [67, 67], mutant: /^StringLiteral/, kind: 'unreachable', why: ERROR_TEXT },
  {
    file: 'kernels/flash/varlen.ts',
    lines: [34, 41],
    mutant: /^(StringLiteral|ArithmeticOperator batch - 1$)/,
    kind: 'unreachable',
    why: ERROR_TEXT,
  },
  {
    file: 'kernels/flash/varlen.ts',
    lines: [60, 60],
    column: 41,
    kind: 'unreachable',
    why: 'the default scale 1/sqrt(D) when none is given: the training model always passes its scaling',
  },
  {
    file: 'kernels/flash/varlen.ts',
    lines: [69, 70],
    mutant: /^(BlockStatement|ArrayDeclaration)/,
    kind: 'unreachable',
    why:
      'a packed sequence with queries and no keys: the training suite packs each sequence with its own ' +
      'tokens as keys, so lenK is 0 only where lenQ is too (skipped first)',
  },
  {
    file: 'kernels/flash/varlen.ts',
    lines: [78, 78],
    column: 53,
    mutant: /^StringLiteral ""$/,
    kind: 'unreachable',
    why: ALWAYS_CAUSAL,
  },
];
