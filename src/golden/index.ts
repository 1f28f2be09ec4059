export * from './format.js';
export { loadGolden, parseGolden, findGoldenFiles } from './load.js';
export { REFERENCE_REL_BOUND, GOLDEN_KERNEL_NAMES, goldenRunners, runnersOf, attentionRunner, loraRunner, decodeRunner, type GoldenRunner } from './kernels.js';
export { checkGolden, checkGoldens, allPassed, type GoldenRow, type GoldenOutcome } from './check.js';
export { goldenJson, goldenText, type GoldenJsonRow } from './report.js';
export { runGoldenCommand, loadGoldens, selectRunners, GoldenUsageError, type GoldenCommandOptions, type GoldenIO } from './run.js';
