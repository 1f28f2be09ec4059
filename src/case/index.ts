export * from './types.js';
export * from './schema.js';
export * from './arbitrary.js';
export * from './upstream.js';
export { SIZE_PROFILES, DECODE_SIZE_PROFILES, HEAD_DIMS, GRID, COST_BUDGET, SCORE_BUDGET, caseCost, type SizeProfile } from './_internals/schedule.js';
