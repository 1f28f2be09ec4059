/**
 * `--profile` of a campaign: the size profile of the case arbitraries ('default'; 'deep' for
 * decode against caches up to 4096 keys; 'nightly' = 'deep'; src/case SIZE_PROFILES), turned into
 * each target's suite constraints the way `check` turns it (options.ts attentionConstraintsOf).
 * The LoRA and training suites have no profiles: their defaults. `--precision` pins every suite's dtype.
 */
import type { Target } from '../campaign/index.js';
import { SIZE_PROFILES, type SizeProfile } from '../case/index.js';
import type { Precision } from '../contract/index.js';
import { attentionConstraintsOf, withPrecision } from './options.js';

export const PROFILES = Object.keys(SIZE_PROFILES) as SizeProfile[];
export type ProfileName = SizeProfile;

/** A target's case constraints under a profile and `--precision` (undefined: the suite's defaults). */
export function profileConstraints(profile: ProfileName, target: Target, precision?: Precision): unknown {
  return withPrecision(target.suite === 'attention' ? attentionConstraintsOf({ profile }) : undefined, precision);
}
