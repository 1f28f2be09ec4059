/** The training-step suite: cases, arbitraries, the tensor-by-tensor comparison and `check --suite training`. */
export { TRAINING_CASE_VERSION, caseSequences, materialise, validateTrainingCase, type TrainingCase, type MaterialisedCase } from './case.js';
export { trainingCase, type TrainingCaseConstraints } from './arbitrary.js';
export { checkTensor, formatCheck, scalarTensor, type TensorCheck, type Tolerance } from './compare.js';
export { REL_BOUND, ABS_FLOOR, FORWARD_TOLERANCE, EXACT, gradientTolerance, parameterTolerance } from './tolerance.js';
export { checkTrainingCase, type TrainingReport, type TrainingSection } from './run.js';
export { checkTraining, formatTrainingReport, runTrainingCheckCase, type TrainingCheckOptions, type TrainingCheckResult } from './check.js';
