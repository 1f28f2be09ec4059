/**
 * The survivors of the full run over kernels/flash (docs/mutation.md), each read against the code.
 * Lines are 1-based, as the run prints them; `mutant` matches `Mutator replacement`.
 */
import type { SurvivorRule } from './rule.js';

export const FLASH_SURVIVORS: readonly SurvivorRule[] = [];
