/** The training-step suite: the tiny decoder, its cases and arbitraries, and its tensors for the judge. */
export * from './model/index.js';
export { TRAINING_CASE_VERSION, caseSequences, materialiseTraining, parseTrainingCase, trainingCaseSchema, type TrainingCase, type MaterialisedTraining } from './case.js';
export { trainingCase, type TrainingCaseConstraints } from './arbitrary.js';
export { REL_BOUND, ABS_FLOOR, TRAIN_ULPS, TRAIN_MODEL, FORWARD_TOLERANCE, EXACT, forwardTolerance, gradientTolerance, parameterTolerance, relativeBound, type Tolerance } from './tolerance.js';
export { runTraining, trainingReference, trainingSpecs, trainingTensors, type TrainingExpectation } from './run.js';
