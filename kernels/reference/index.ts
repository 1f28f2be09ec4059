/** The float64 reference: plain-loop forward and hand-derived backward, the ground truth. */
export { referenceAttention, referenceAttentionForward, type AttentionForward } from './attention.js';
export { referenceLora, referenceLoraMergedWeight } from './lora.js';
