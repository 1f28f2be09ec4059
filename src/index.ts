/**
 * attnfuzz as a library: every public name, listed (the CLI is a thin layer over these). For your
 * own vitest suite: a case generator, a kernel, the one check.
 *
 *   import { attentionCase, checkCase, fixedKernel, defineAttentionKernel } from 'attnfuzz';
 *   await fc.assert(fc.asyncProperty(attentionCase(), async (c) =>
 *     (await checkCase(c, fixedKernel(myKernel))).verdict.status !== 'mismatch'));
 *
 * Anything not listed here is internal and may change in any release.
 */

export type { BackendName } from './backend/index.js';
// --- tfjs: the harness's own namespace and backends (a kernel's tensors must come from it). --------
export { BACKENDS, prepareBackends, tf, useBackend } from './backend/index.js';
export type {
  AttentionCase,
  AttentionCaseConstraints,
  DecodeCase,
  DecodeCaseConstraints,
  LoraCase,
  LoraCaseConstraints,
} from './case/index.js';
// --- Cases: fast-check arbitraries of every kind, and their schemas (src/case, src/training). ----
export { attentionCase, decodeCase, loraCase, parseCase, parseDecodeCase, parseLoraCase } from './case/index.js';
export type {
  AttentionInputs,
  AttentionKernel,
  AttentionOptions,
  AttentionOutput,
  AttentionResult,
  AttentionShapes,
  Causal,
  DecodeKernel,
  DecodeOptions,
  DecodeQuery,
  DropoutSpec,
  HostArray,
  HostArrayLike,
  HostAttentionCall,
  HostAttentionResult,
  HostBoolArray,
  HostDecodeCall,
  HostKernel,
  HostKernelOptions,
  HostLoraCall,
  HostLoraResult,
  HostMask,
  HostTensor,
  KernelFeatures,
  KernelGuarantees,
  KernelOptions,
  KvCache,
  LoraInputs,
  LoraKernel,
  LoraResult,
  LoraSpec,
  Precision,
  SupportQuery,
  TF,
  Tiles,
} from './contract/index.js';
// --- The kernel contract: what an implementation under test provides (src/contract). ---------------
// --- The attention contract itself: shapes, options, visibility, dropout, precision. --------------
export {
  CAUSALS,
  defaultOptions,
  defineAttentionKernel,
  defineDecodeKernel,
  defineHostKernel,
  defineLoraKernel,
  dropoutKeep,
  hasEmptyRow,
  isHostKernel,
  loraScaling,
  PRECISIONS,
  roundTo,
  splitOutput,
  UNIT_ROUNDOFF,
  visible,
} from './contract/index.js';
export type { ReplayOutcome, SavedCase } from './corpus/index.js';
// --- Saved cases, replay, repros (src/corpus, src/report). ------------------------------------------
export { readSavedCase, replayAll, replayFile, saveCase, savedCaseOf } from './corpus/index.js';
export type { MaterialisedAttention, MaterialisedDecode, MaterialisedLora } from './data/index.js';
// --- Tensors from a case, and the float64 reference that is the ground truth. ----------------------
export { materialiseAttention, materialiseDecode, materialiseLora } from './data/index.js';
// --- Running a kernel on host tensors directly (src/execute), outside a check. --------------------
export {
  runAttentionKernel,
  runDecodeKernel,
  runHostAttention,
  runHostDecode,
  runHostLora,
  runLoraKernel,
} from './execute/index.js';
export type { Golden, GoldenOutcome, GoldenRunner } from './golden/index.js';
// --- PyTorch golden files (src/golden). ------------------------------------------------------------
export { checkGolden, goldenRunners, loadGolden } from './golden/index.js';
export type { TensorSpec, TensorVerdict, Verdict } from './oracle/index.js';
// --- Verdicts: the oracle's judgement and how it reads (src/oracle). -------------------------------
export { formatVerdict, isFailure, judge, summarizeVerdict } from './oracle/index.js';
export { referenceAttention, referenceDecode, referenceLora } from './reference/index.js';
export { formatRepro, heatmapSvg, torchScript } from './report/index.js';
export type {
  AnyCase,
  BuiltinKernelName,
  CaseCheck,
  CheckOptions,
  KernelRef,
  KernelUnderTest,
  SearchOptions,
  SearchResult,
  Target,
  TargetOptions,
} from './runner/index.js';
// --- The one check, the search that shrinks, and the kernel under test (src/runner). --------------
// --- The built-in kernels under test (kernels/), as objects. -----------------------------------------
export {
  BUILTIN_KERNELS,
  builtinKernel,
  checkCase,
  eagerKernel,
  fixedKernel,
  flashDecodeKernel,
  flashKernel,
  flashKernelWith,
  forwardOnly,
  loraMerged,
  loraUnmerged,
  resolveKernel,
  sdpaKernel,
  search,
  TARGETS,
} from './runner/index.js';
export type { TrainingCase, TrainingCaseConstraints } from './training/index.js';
export { trainingCase } from './training/index.js';
