export { allPassed, checkGolden, checkGoldens, type GoldenOutcome, type GoldenRow } from './check.js';
export * from './goldenFile.js';
export {
  attentionRunner,
  decodeRunner,
  GOLDEN_KERNEL_NAMES,
  type GoldenRunner,
  goldenRunners,
  loraRunner,
  REFERENCE_REL_BOUND,
  runnersOf,
} from './kernels.js';
export { findGoldenFiles, loadGolden, parseGolden } from './load.js';
export { type GoldenJsonRow, goldenJson, goldenText } from './report.js';
export {
  type GoldenCommandOptions,
  type GoldenIO,
  GoldenUsageError,
  loadGoldens,
  runGoldenCommand,
  selectRunners,
} from './run.js';
