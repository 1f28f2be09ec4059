/** The float64 reference: plain-loop forward and hand-derived backward, the ground truth. */
export { referenceAttention, referenceAttentionForward, type AttentionForward } from './attention.js';
export { referenceDecode, decodeTermScales } from './decode.js';
export { attentionTermScales, type TermScales } from './termScales.js';
export { referenceLora, referenceLoraMergedWeight } from './lora.js';
export { matMul64, softmax64, logSumExp64, where64, gather64, fdGrad } from './ops.js';
export { numericalGradient, dot, randomTensor, seededRng } from './gradcheck.js';
