export { additiveTerms, eagerKernel } from './adapter.js';
export { type EagerOptions, eagerAttentionForward, MASK_MIN, repeatKv } from './eager.js';
export { eagerAttentionFunction } from './transformers.js';
export { hasStructuralRestriction, visibilityMask, zeroUnseenKeys } from './visibilityMask.js';
