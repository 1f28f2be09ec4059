/** Survivors of the full run in kernels/flash/adapter.ts (the contract adapter), each read against the code. */
import type { SurvivorRule } from '../rule.js';

const file = 'kernels/flash/adapter.ts';

export const ADAPTER_SURVIVORS: readonly SurvivorRule[] = [
  {
    file,
    lines: [46, 46],
    kind: 'equivalent',
    why:
      "the case's block sizes dropped (resolveCommon then takes the defaults, 256 x 256): the answers must not " +
      'depend on Br, Bc and do not; what is lost is the tiling the case asked for, which no output shows',
  },
  {
    file,
    lines: [47, 47],
    kind: 'equivalent',
    why: "the kernel's name (flash or flash(Br=..,Bc=..)), a label in reports",
  },
  {
    file,
    lines: [50, 50],
    kind: 'narrower',
    why:
      'the guarantee unseenKeysUnread dropped: check stops writing NaN junk into keys no query sees (a check ' +
      'fewer for flash); no answer is wrong',
  },
  {
    file,
    lines: [51, 51],
    kind: 'narrower',
    why:
      'features emptied or one of softcap, alibi, bias, sinks false: check stops drawing that option for flash ' +
      'and counts such cases unsupported; no answer is wrong',
  },
  {
    file,
    lines: [75, 75],
    kind: 'equivalent',
    why: "layout 'bhsd' -> '': layout.ts reads every layout but 'bshd' as bhsd",
  },
];
