/**
 * ONNX Runtime's attention ops as attnfuzz targets (`--kernel ort:attention|ort:mha|ort:gqa`), each a
 * host kernel over onnxruntime-node (an optional peer, loaded on first use). docs/targets/onnxruntime.md
 * has the tables; each op's file opens with its own.
 */
export { type AttentionOpset, attentionPlan, attentionSupports } from './attention.js';
export { attentionDecodePlan, attentionDecodeSupports } from './attentionDecode.js';
export { type FormOptions, Forms, formSeed, formsOf } from './forms.js';
export { gqaHeadSize, gqaPlan, gqaSupports } from './gqa.js';
export { gqaDecodePlan, gqaDecodeSupports } from './gqaDecode.js';
export { ORT_OPS, type OrtKernel, type OrtKernelOptions, type OrtOp, type OrtPlanner, ortKernel } from './kernel.js';
export { KNOWN_ISSUES, type KnownIssue } from './known.js';
export { mhaPlan, mhaSupports } from './mha.js';
export { type AttrValue, encodeModel, type NodeSpec, type OnnxDtype, specKey, type ValueSpec } from './onnxModel.js';
export { type OpPlan, type OutputLayout, readOut } from './plan.js';
export { loadOrt, ORT_INSTALL, type OrtModule, ortVersion } from './runtime.js';
export { type ExecutionProvider, type RunOutputs, SessionCache, type SessionStats } from './sessions.js';
export { executionProvider, ORT_TARGET_DESCRIBE, ortTarget, parseOrtSpec } from './target.js';
export { fromHalfBits, type OrtArray, toHalfBits } from './tensors.js';
