/**
 * `--profile` of a campaign: the size profile of the case arbitraries ('default'; 'deep' for long
 * sequences and caches; 'nightly' = 'deep'), turned into each target's suite constraints.
 */
import type { Target } from '../campaign/index.js';

export const PROFILES = ['default', 'deep', 'nightly'] as const;
export type ProfileName = (typeof PROFILES)[number];

/** A target's case constraints under a profile (undefined: the suite's defaults). */
export function profileConstraints(_profile: ProfileName, _target: Target): unknown {
  return undefined;
}
