/**
 * The built-in implementations under test, by name, each behind the kernel contract
 * (src/kernel/types.ts), plus the float64 reference they are judged against.
 */
export { loraUnmerged, loraMerged } from './lora.js';
export { referenceAttention, referenceAttentionForward, referenceLora, referenceLoraMergedWeight, type AttentionForward } from './reference/index.js';
export { eagerKernel } from './eager/index.js';
export { sdpaKernel } from './sdpa/index.js';
export { flashKernel, flashKernelWith, flashAttnFunc, flashAttnVarlenFunc } from './flash/index.js';
