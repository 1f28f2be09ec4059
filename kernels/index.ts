/**
 * The built-in implementations under test, each with its native interface (as the library it
 * models exposes it) and its adapter to the attnfuzz contract (src/contract). The harness reaches
 * them only through src/runner/registry.ts.
 */
export * from './eager/index.js';
export * from './flash/index.js';
export { loraMerged, loraUnmerged } from './lora.js';
export * from './sdpa/index.js';
