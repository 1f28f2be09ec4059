/** The tiny Llama-style decoder of the training-step suites, its float64 reference and AdamW. */

export { type AdamWHostState, type AdamWTfState, adamwHostState, adamwStepHost, adamwStepTf } from './adamw.js';
export * from './batch.js';
export * from './config.js';
export {
  type AttentionImplementation,
  attentionFunction,
  implementationName,
  KernelDeclined,
  type ModelKernels,
  type NamedAttentionFunction,
} from './dispatch.js';
export * from './masks.js';
export { type ModelOutput, type ModelSpec, modelForward } from './model.js';
export * from './params.js';
export { type ReferenceStep, referenceStep } from './reference/model.js';
export { type RopeTables, ropeTables } from './rope.js';
export {
  perTokenLoss,
  referenceFirstStep,
  type StepRecord,
  type TrainingRun,
  type TrainingSpec,
  trainTf,
} from './train.js';
