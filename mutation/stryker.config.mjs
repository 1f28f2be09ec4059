// The fixed part of Stryker's options for `npm run mutate` (mutation/main.ts adds what changes per
// run: the files to mutate, the budget, the sample, the shard, concurrency and where reports go).
// The test is `attnfuzz check` through the custom runner mutation/runner.ts (never `npm test`).
import { fileURLToPath } from 'node:url';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'attnfuzz',
  plugins: [fileURLToPath(new URL('./runner.ts', import.meta.url))],
  // The dry run reports which mutants each check reaches: the others are NoCoverage, never run.
  coverageAnalysis: 'all',
  checkers: [],
  tempDirName: '.attnfuzz-cache/stryker-tmp',
  ignorePatterns: ['/.attnfuzz-cache', '/dist', '/docs', '/corpus', '/examples', '/tmp'],
  // The runner limits each check's CPU time itself (5x its dry run, at least 30 s: mutation/runner.ts);
  // Stryker's wall-clock timeout is only a backstop for a runner that stopped answering.
  timeoutMS: 4 * 3600 * 1000,
  timeoutFactor: 1.5,
  dryRunTimeoutMinutes: 120,
  reporters: ['json', 'html', 'progress-append-only'],
  thresholds: { high: 95, low: 80, break: null },
  // Stryker calls every covered mutant 'static' (the runner reports coverage for the run as a whole)
  // and warns they are slow: each mutant is a fresh process here anyway.
  warnings: { slow: false },
  logLevel: 'info',
  fileLogLevel: 'off',
};
