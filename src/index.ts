/**
 * attnfuzz as a library: the contract, case generators, the float64 reference, the oracle, the
 * kernel contract and the one check, for use in your own vitest suite. Every name here is public API.
 *
 *   import { attentionCase, checkCase, fixedKernel, defineAttentionKernel } from 'attnfuzz';
 */

export {
  activeBackend,
  BACKENDS,
  type BackendName,
  BackendUnavailableError,
  backendFromEnv,
  parseBackend,
  prepareBackends,
  tf,
  useBackend,
} from './backend/index.js';
export * from './case/index.js';
export * from './contract/index.js';
export * from './corpus/index.js';
export * from './data/index.js';
export * from './execute/index.js';
export * from './golden/index.js';
export * from './oracle/index.js';
export * from './reference/index.js';
export * from './report/index.js';
export * from './runner/index.js';
