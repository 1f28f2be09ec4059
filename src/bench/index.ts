export * from './types.js';
export * from './flops.js';
export { matMulCeiling } from './ceiling.js';
export { timeKernel, wrongness, type BenchShape, type Timing } from './kernel.js';
export { profileHarness } from './harness.js';
export { runBench, type BenchOptions } from './run.js';
export { benchMarkdown } from './markdown.js';
export { logChart, type LogChart, type Series } from './plot.js';
export { benchPlots } from './plots.js';
