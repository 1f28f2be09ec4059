/**
 * The survivors of the full run over kernels/flash (docs/mutation.md), one file of rules per kernel
 * file (mutation/survivors/flash/), each read against the code.
 */
import { ADAPTER_SURVIVORS } from './flash/adapter.js';
import { BACKWARD_SURVIVORS } from './flash/backward.js';
import { BLOCKS_SURVIVORS } from './flash/blocks.js';
import { FLASH_FILE_SURVIVORS } from './flash/flash.js';
import { FORWARD_SURVIVORS } from './flash/forward.js';
import { KVCACHE_SURVIVORS } from './flash/kvcache.js';
import { LAYOUT_SURVIVORS } from './flash/layout.js';
import { OPERANDS_SURVIVORS } from './flash/operands.js';
import { TILES_SURVIVORS } from './flash/tiles.js';
import { TRANSFORMERS_SURVIVORS } from './flash/transformers.js';
import { UNREACHED_SURVIVORS } from './flash/unreached.js';
import { VARLEN_SURVIVORS } from './flash/varlen.js';
import type { SurvivorRule } from './rule.js';

export const FLASH_SURVIVORS: readonly SurvivorRule[] = [
  ...ADAPTER_SURVIVORS,
  ...BACKWARD_SURVIVORS,
  ...BLOCKS_SURVIVORS,
  ...FLASH_FILE_SURVIVORS,
  ...FORWARD_SURVIVORS,
  ...KVCACHE_SURVIVORS,
  ...LAYOUT_SURVIVORS,
  ...OPERANDS_SURVIVORS,
  ...TILES_SURVIVORS,
  ...TRANSFORMERS_SURVIVORS,
  ...VARLEN_SURVIVORS,
  // NoCoverage last: the rules above name the survivors the checks ran.
  ...UNREACHED_SURVIVORS,
];
