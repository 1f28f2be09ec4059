export {
  COST_BUDGET,
  caseCost,
  DECODE_SIZE_PROFILES,
  GRID,
  HEAD_DIMS,
  SCORE_BUDGET,
  SIZE_PROFILES,
  type SizeProfile,
} from './_internals/schedule.js';
export * from './generators.js';
export * from './schema.js';
export * from './types.js';
export * from './upstream.js';
