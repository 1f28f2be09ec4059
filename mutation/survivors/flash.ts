/**
 * The survivors of the full run over kernels/flash (docs/mutation.md), one file of rules per kernel
 * file (mutation/survivors/flash/), each read against the code.
 */
import { ADAPTER_SURVIVORS } from './flash/adapter.js';
import { BACKWARD_SURVIVORS } from './flash/backward.js';
import { BLOCKS_SURVIVORS } from './flash/blocks.js';
import { FLASH_FILE_SURVIVORS } from './flash/flash.js';
import { FORWARD_SURVIVORS } from './flash/forward.js';
import type { SurvivorRule } from './rule.js';

export const FLASH_SURVIVORS: readonly SurvivorRule[] = [
  ...ADAPTER_SURVIVORS,
  ...BACKWARD_SURVIVORS,
  ...BLOCKS_SURVIVORS,
  ...FLASH_FILE_SURVIVORS,
  ...FORWARD_SURVIVORS,
];
