/** The tiny Llama-style decoder of the training-step suites, its float64 reference and AdamW. */
export * from './config.js';
export * from './batch.js';
export * from './params.js';
export * from './masks.js';
export { ropeTables, type RopeTables } from './rope.js';
export { adamwStepHost, adamwStepTf, adamwHostState, type AdamWHostState, type AdamWTfState } from './adamw.js';
export { attentionFunction, implementationName, type AttentionImplementation, type ModelKernels, type NamedAttentionFunction } from './dispatch.js';
export { modelForward, type ModelSpec, type ModelOutput } from './model.js';
export { trainTf, referenceFirstStep, perTokenLoss, type TrainingSpec, type StepRecord, type TrainingRun } from './train.js';
export { referenceStep, type ReferenceStep } from './reference/model.js';
