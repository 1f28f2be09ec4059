export { eagerAttentionForward, repeatKv, MASK_MIN, type EagerOptions } from './eager.js';
export { eagerKernel, additiveTerms } from './adapter.js';
export { eagerAttentionFunction } from './transformers.js';
export { visibilityMask, hasStructuralRestriction, zeroUnseenKeys } from './visibilityMask.js';
