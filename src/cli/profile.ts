/**
 * `--profile` of a campaign: the size profile of the case arbitraries ('default'; 'deep' for
 * decode against caches up to 4096 keys; 'nightly' = 'deep'; src/case SIZE_PROFILES), turned into
 * each target's suite constraints the way `check` turns it (options.ts attentionConstraintsOf).
 * The LoRA and training suites have no profiles: their defaults.
 */
import type { Target } from '../campaign/index.js';
import { SIZE_PROFILES, type SizeProfile } from '../case/index.js';
import { attentionConstraintsOf } from './options.js';

export const PROFILES = Object.keys(SIZE_PROFILES) as SizeProfile[];
export type ProfileName = SizeProfile;

/** A target's case constraints under a profile (undefined: the suite's defaults). */
export function profileConstraints(profile: ProfileName, target: Target): unknown {
  return target.suite === 'attention' ? attentionConstraintsOf({ profile }) : undefined;
}
