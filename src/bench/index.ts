export { matMulCeiling } from './ceiling.js';
export * from './flops.js';
export { profileHarness } from './harness.js';
export { type BenchShape, type Timing, timeKernel, wrongness } from './kernel.js';
export { benchMarkdown } from './markdown.js';
export { type LogChart, logChart, type Series } from './plot.js';
export { benchPlots } from './plots.js';
export { type BenchOptions, runBench } from './run.js';
export * from './types.js';
