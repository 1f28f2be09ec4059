/**
 * attnfuzz as a library: the contract, case generators, the reference, the oracle and the kernel
 * contract, for use in your own vitest suite. Every name here is public API.
 */
export * from './contract/index.js';
export { tf, useBackend, parseBackend, backendFromEnv, activeBackend, BACKENDS, BackendUnavailableError, type BackendName, type TF } from './backend/index.js';
export * from './kernel/index.js';
export * from './case/index.js';
export * from './data/index.js';
export * from './oracle/index.js';
export * from './runner/index.js';
export * from './corpus/index.js';
export * from './report/index.js';
export * from './golden/index.js';
export {
  eagerKernel,
  sdpaKernel,
  flashKernel,
  flashKernelWith,
  flashAttnFunc,
  flashAttnVarlenFunc,
  loraUnmerged,
  loraMerged,
  referenceAttention,
  referenceAttentionForward,
  referenceLora,
  referenceLoraMergedWeight,
} from '../kernels/index.js';
