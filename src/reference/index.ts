/** The float64 reference: plain-loop forward and hand-derived backward, the ground truth. */
export { type AttentionForward, referenceAttention, referenceAttentionForward } from './attention.js';
export { decodeTermScales, referenceDecode } from './decode.js';
export { dot, numericalGradient, randomTensor, seededRng } from './gradcheck.js';
export { referenceLora, referenceLoraMergedWeight } from './lora.js';
export { fdGrad, gather64, logSumExp64, matMul64, softmax64, where64 } from './ops.js';
export { attentionTermScales, type TermScales } from './termScales.js';
