/**
 * The survivors of the full run over kernels/eager (docs/mutation.md), each read against the code.
 * Lines are 1-based, as the run prints them; `mutant` matches `Mutator replacement`.
 */
import type { SurvivorRule } from './rule.js';

const adapter = 'kernels/eager/adapter.ts';
const eager = 'kernels/eager/eager.ts';
const visibility = 'kernels/eager/visibilityMask.ts';

export const EAGER_SURVIVORS: readonly SurvivorRule[] = [
  {
    file: adapter,
    lines: [36, 36],
    kind: 'equivalent',
    why: "the kernel's name, a label in reports",
  },
  {
    file: adapter,
    lines: [37, 37],
    kind: 'narrower',
    why:
      'features emptied or one of softcap, alibi, bias, sinks false: check stops drawing that option for ' +
      'eager and counts such cases unsupported; no answer is wrong',
  },
  {
    file: adapter,
    lines: [39, 39],
    kind: 'equivalent',
    why: "the label attentionShapes puts in a shape error's text, which no valid call raises",
  },
  {
    file: adapter,
    lines: [51, 52],
    kind: 'equivalent',
    why:
      "the dropout seed or keep mask dropped: eager then draws the keep mask from seed 0's stream, " +
      'never read, because the contract always passes the keep mask (dropoutKeep) and eager.ts uses it',
  },
  {
    file: adapter,
    lines: [68, 68],
    kind: 'equivalent',
    why: 'i <= Sq, j <= Sk in the ALiBi distances: the extra writes land past the end of a typed array (ignored)',
  },
  {
    file: eager,
    lines: [81, 81],
    kind: 'equivalent',
    why: 'the nRep === 1 shortcut off: repeating each kv head once is the identity',
  },
  {
    file: eager,
    lines: [110, 110],
    mutant: /^ConditionalExpression false$/,
    kind: 'equivalent',
    why: 'the head-count check off: no valid call fails it',
  },
  {
    file: eager,
    lines: [104, 113],
    kind: 'unreachable',
    why: 'the head-count check and its text: no valid call has Hq != Hkv x groups',
  },
  {
    file: eager,
    lines: [129, 129],
    mutant: /^ArrayDeclaration/,
    kind: 'equivalent',
    why: "tf.slice's begin [] reads as zeros and size [] as the whole mask, which the adapter built [.., Sk]",
  },
  {
    file: eager,
    lines: [143, 143],
    mutant: /^ArrayDeclaration/,
    kind: 'equivalent',
    why: "tf.slice's begin [] (dropping the sink column): tfjs reads an empty begin as zeros",
  },
  {
    file: eager,
    lines: [146, 146],
    kind: 'equivalent',
    why: 'dropout > 0 -> >= 0 or true: p = 0 keeps every weight at scale 1 / (1 - 0)',
  },
  {
    file: eager,
    lines: [148, 148],
    kind: 'equivalent',
    why: "the keep mask ignored for the seed's own mask: both are the contract's dropoutKeep of that seed",
  },
  {
    file: visibility,
    lines: [18, 18],
    mutant: /^ConditionalExpression true$/,
    kind: 'equivalent',
    why: 'every window counted as a restriction: [-1, -1] builds an all-visible pattern where none was needed',
  },
  {
    file: visibility,
    lines: [19, 20],
    kind: 'equivalent',
    why: 'padded or the causal test always true: an all-visible pattern built where none was needed',
  },
  {
    file: visibility,
    lines: [30, 33],
    kind: 'equivalent',
    why:
      'the !structural shortcut off or b <= B: an all-visible pattern built where none was needed, or a write ' +
      'past the end of a typed array (ignored)',
  },
  {
    file: visibility,
    lines: [42, 57],
    kind: 'unreachable',
    why:
      'zeroUnseenKeys: a helper for user kernels that promise unseenKeysUnread; no built-in calls it (eager and ' +
      'sdpa read unseen keys as transformers and PyTorch do)',
  },
];
