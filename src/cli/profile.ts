/**
 * `--profile` of a campaign: the size profile of the case arbitraries ('default'; 'deep' for
 * decode-shaped attention against caches up to 4096 keys, and decode cases against caches up to 1024
 * keys with pages up to 64; 'nightly' = 'deep'; src/case SIZE_PROFILES, DECODE_SIZE_PROFILES),
 * turned into each target's suite constraints the way `check` turns it (options.ts suiteConstraintsOf).
 * The LoRA and training suites have no profiles: their defaults. `--precision` pins every suite's dtype.
 */
import type { Target } from '../campaign/index.js';
import { SIZE_PROFILES, type SizeProfile } from '../case/index.js';
import type { Precision } from '../contract/index.js';
import { suiteConstraintsOf, withPrecision } from './options.js';

export const PROFILES = Object.keys(SIZE_PROFILES) as SizeProfile[];
export type ProfileName = SizeProfile;

/** A target's case constraints under a profile and `--precision` (undefined: the suite's defaults). */
export function profileConstraints(profile: ProfileName, target: Target, precision?: Precision): unknown {
  return withPrecision(suiteConstraintsOf(target.suite, { profile }), precision);
}
