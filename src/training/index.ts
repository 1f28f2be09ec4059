/** The training-step suite: the tiny decoder, its cases and arbitraries, and its tensors for the judge. */

export {
  caseSequences,
  type MaterialisedTraining,
  materialiseTraining,
  parseTrainingCase,
  TRAINING_CASE_VERSION,
  type TrainingCase,
  trainingCaseSchema,
} from './case.js';
export * from './model/index.js';
export { trainingSpecs } from './oracle.js';
export { runTraining, type TrainingExpectation, trainingReference, trainingTensors } from './run.js';
export {
  ABS_FLOOR,
  EXACT,
  FORWARD_TOLERANCE,
  forwardTolerance,
  gradientTolerance,
  parameterTolerance,
  REL_BOUND,
  relativeBound,
  type Tolerance,
  TRAIN_MODEL,
  TRAIN_ULPS,
} from './tolerance.js';
export { type TrainingCaseConstraints, trainingCase } from './trainingCaseArbitrary.js';
