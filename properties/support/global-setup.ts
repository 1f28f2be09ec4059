// Printed once at the start of `npm test`, so any failure can be replayed with the same seed.
import { PROFILE, SEED } from './profile.js';

export default function setup(): void {
  console.log(
    `attnfuzz: seed ${SEED} (replay with ATTNFUZZ_SEED=${SEED}), profile ${PROFILE}, backend ` +
      `${process.env.ATTNFUZZ_BACKEND || 'cpu'}`,
  );
}
