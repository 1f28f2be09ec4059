/**
 * The test profile: one seed for the whole run (ATTNFUZZ_SEED, default fixed, so `npm test` is
 * deterministic) and the number of cases per property (ATTNFUZZ_PROFILE=nightly: about 20x).
 */
const DEFAULT_SEED = 20261128;

function readSeed(): number {
  const raw = process.env.ATTNFUZZ_SEED;
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`ATTNFUZZ_SEED: must be an integer, got '${raw}'`);
  return n | 0;
}

function readProfile(): 'default' | 'nightly' {
  const raw = process.env.ATTNFUZZ_PROFILE ?? 'default';
  if (raw !== 'default' && raw !== 'nightly')
    throw new Error(`ATTNFUZZ_PROFILE: expected 'default' or 'nightly', got '${raw}'`);
  return raw;
}

export const SEED = readSeed();
export const PROFILE = readProfile();

/** Cases per property: `base` by default, 20x under the nightly profile. */
export function runs(base: number): number {
  return PROFILE === 'nightly' ? base * 20 : base;
}

/** fast-check parameters for a property: the run's seed, the profile's number of runs. */
export function fcParams(base: number): { seed: number; numRuns: number; endOnFailure: boolean } {
  return { seed: SEED, numRuns: runs(base), endOnFailure: false };
}
